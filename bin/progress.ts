/** A one-line progress bar for a terminal (stderr), redrawn at most every 100 ms. */

const WIDTH = 28;
const REDRAW_MS = 100;

/** The bar's text: `[#########---------]  45%  450/1,000 events  3 requests`. */
export function progressLine(done: number, total: number, requests: number): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * WIDTH);
  const pct = String(Math.floor(ratio * 100)).padStart(3);
  return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${pct}%  ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} events  ${requests} request${requests === 1 ? "" : "s"}`;
}

export interface Progress {
  update(done: number, requests: number): void;
  /** Remove the bar, so the summary starts on a clean line. */
  end(): void;
}

/** Draws on `stream` only when it is a terminal; a pipe or file gets nothing. */
export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, end() {} };
  let last = 0;
  let drawn = false;
  const draw = (done: number, requests: number) => {
    stream.write(`\r${progressLine(done, total, requests)}\x1b[K`);
    drawn = true;
  };
  return {
    update(done, requests) {
      const now = Date.now();
      if (now - last < REDRAW_MS && done < total) return;
      last = now;
      draw(done, requests);
    },
    end() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}
