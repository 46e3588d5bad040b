/** The small XML reader and the error helpers the S3 and Azure stores share. */
import { describe, expect, it } from "vitest";
import { classify, scrub } from "../../shared/storage/store-http.ts";
import { xmlElements, xmlEscape, xmlFirst, xmlText } from "../../shared/storage/xml.ts";

describe("xml", () => {
  it("decodes entities once, numeric ones and CDATA included", () => {
    expect(xmlText("a &amp;lt; b &lt;&gt;&quot;&apos; &#233;&#x1F600; <![CDATA[<raw&amp;>]]> &#x110000;")).toBe("a &lt; b <>\"' é😀 <raw&amp;> &#x110000;");
    expect(xmlText(xmlEscape(`<k a="1">&'`))).toBe(`<k a="1">&'`);
  });

  it("reads flat elements by tag, telling <Blob> from <Blobs> and empty elements", () => {
    const xml = `<R><Blobs><Blob><Name>a</Name></Blob><Blob attr="x"><Name>b&amp;c</Name></Blob></Blobs><NextMarker /></R>`;
    expect(xmlElements(xml, "Blob").map((b) => xmlFirst(b, "Name"))).toEqual(["a", "b&c"]);
    expect(xmlFirst(xml, "NextMarker")).toBe("");
    expect(xmlFirst(xml, "Missing")).toBeUndefined();
  });
});

describe("store errors", () => {
  it("classify by code first, then by status", () => {
    expect(classify(403, "SignatureDoesNotMatch")).toBe("auth");
    expect(classify(403, "AccessDenied", "Access Denied because object protected by object lock.")).toBe("locked");
    expect(classify(404, "NoSuchBucket")).toBe("bucket_missing");
    expect(classify(404, "ContainerNotFound")).toBe("bucket_missing");
    expect(classify(409, "BlobImmutableDueToPolicy")).toBe("locked");
    expect(classify(401, undefined)).toBe("auth");
    expect(classify(503, undefined)).toBe("unavailable");
    expect(classify(400, "InvalidArgument")).toBe("other");
  });

  it("scrub query strings, signatures and SAS fields out of free text", () => {
    const text = scrub("GET https://a.blob.core.windows.net/c/k?sv=1&sig=abc%3D failed; retry sig=zzz se=2030 Authorization: AWS4-HMAC-SHA256 Credential=AKID/x, Signature=ff");
    expect(text).toBe("GET https://a.blob.core.windows.net/c/k failed; retry sig=[redacted] se=[redacted] Authorization: AWS4-HMAC-SHA256 [redacted]");
  });
});
