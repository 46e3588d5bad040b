// Azure Functions (Node, programming model v4) entry: an Event Hub trigger that forwards each
// batch to Telemetry Bridge. Settings: EVENTHUB_CONNECTION, EVENTHUB_NAME, TB_URL, TB_KEY.
import { app, type InvocationContext } from "@azure/functions";
import { forwardBatch } from "./forward.js";

app.eventHub("forwardToTelemetryBridge", {
  connection: "EVENTHUB_CONNECTION",
  eventHubName: "%EVENTHUB_NAME%",
  cardinality: "many",
  handler: async (messages: unknown[], context: InvocationContext) => {
    const meta = context.triggerMetadata as { partitionContext?: { partitionId?: string }; offsetArray?: string[] } | undefined;
    const result = await forwardBatch(
      messages,
      { source: process.env.EVENTHUB_NAME, partitionId: meta?.partitionContext?.partitionId, offsets: meta?.offsetArray },
      {
        url: process.env.TB_URL!,
        key: process.env.TB_KEY!,
        onRefused: ({ from, to, status }) => context.error(`the bridge refused messages ${from}-${to - 1} (${status}); they are skipped`),
      },
    );
    context.log(`forwarded ${result.sent} messages (${result.refused} refused) in ${result.requests} request(s)`);
  },
});
