// Publishes one GameCompleted event to a topic with the official
// @azure/eventgrid SDK: node publish.mjs <endpoint> <key> <EventGrid|CloudEvent> <key|sas>
// Prints the HTTP status of the failure, or "ok".
import {
  AzureKeyCredential,
  AzureSASCredential,
  EventGridPublisherClient,
  generateSharedAccessSignature,
} from "@azure/eventgrid";

const [endpoint, key, schema, auth, id] = process.argv.slice(2);
const data = { Id: id, WinnerEmail: "js@example.com" };
const events =
  schema === "CloudEvent"
    ? [{ type: "GameCompleted", source: "/gameapi", data }]
    : [{ eventType: "GameCompleted", subject: "GameAPI.GameCompleted", dataVersion: "1.0", data }];
const credential =
  auth === "sas"
    ? new AzureSASCredential(
        await generateSharedAccessSignature(endpoint, new AzureKeyCredential(key), new Date(Date.now() + 300000)),
      )
    : new AzureKeyCredential(key);
try {
  await new EventGridPublisherClient(endpoint, schema, credential).send(events);
  console.log("ok");
} catch (e) {
  console.log(e.statusCode ?? e.message);
}
