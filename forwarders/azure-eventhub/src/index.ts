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
    const result = await forwardBatch(messages, { partitionId: meta?.partitionContext?.partitionId, offsets: meta?.offsetArray }, {
      url: process.env.TB_URL!,
      key: process.env.TB_KEY!,
    });
    context.log(`forwarded ${result.sent} messages in ${result.requests} request(s)`);
  },
});
