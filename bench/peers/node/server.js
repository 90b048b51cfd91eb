// An idiomatic Node.js custom handler for the same functions as gridboard,
// written as a Node developer would (official mongodb driver and
// @azure/eventgrid, node:http), to measure gridboard against in the same
// harness. Not part of the product. Same settings, same envelopes.
import http from "node:http";
import { MongoClient } from "mongodb";
import { AzureKeyCredential, EventGridPublisherClient } from "@azure/eventgrid";

const port = Number(process.env.FUNCTIONS_CUSTOMHANDLER_PORT);
const client = new MongoClient(process.env.COSMOS_CONNECTION_STRING, {
  retryWrites: false,
  serverSelectionTimeoutMS: 5000,
});
const db = client.db(process.env.COSMOS_DATABASE || "rockpaperscissors");
const ttlSeconds = Number(process.env.LEADERBOARD_TTL_SECONDS || 86400);
const publisher = process.env.EVENT_GRID_TOPIC_ENDPOINT
  ? new EventGridPublisherClient(
      process.env.EVENT_GRID_TOPIC_ENDPOINT,
      "EventGrid",
      new AzureKeyCredential(process.env.EVENT_GRID_TOPIC_KEY),
      // As gridboard allows http:// for a loopback topic (the benchmark's
      // local topic and sink); the SDK refuses it otherwise.
      { allowInsecureConnection: process.env.EVENT_GRID_TOPIC_ENDPOINT.startsWith("http://") },
    )
  : null;

const periods = {
  Daily: (now) => new Date(now - 86400000),
  Weekly: (now) => new Date(now - 7 * 86400000),
  Monthly: (now) => {
    const d = new Date(now);
    d.setUTCMonth(d.getUTCMonth() - 1);
    return d;
  },
};

function validGame(g) {
  return (
    g && typeof g.Id === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(g.Id) &&
    typeof g.WinnerEmail === "string" && g.WinnerEmail.length > 0 &&
    ["RockCount", "PaperCount", "ScissorsCount"].every(
      (k) => Number.isInteger(g[k]) && g[k] >= 0 && g[k] <= 100000) &&
    typeof g.Timestamp === "string" && !Number.isNaN(Date.parse(g.Timestamp))
  );
}

function sameGame(stored, g) {
  return stored.WinnerEmail === g.WinnerEmail && stored.RockCount === g.RockCount &&
    stored.PaperCount === g.PaperCount && stored.ScissorsCount === g.ScissorsCount &&
    stored.Timestamp.getTime() === Date.parse(g.Timestamp);
}

async function leaderboard(period, now) {
  const match = { $match: { Timestamp: { $gte: periods[period](now), $lte: new Date(now) } } };
  const winners = await db.collection("games").aggregate([
    match, { $group: { _id: "$WinnerEmail", wins: { $sum: 1 } } },
    { $sort: { wins: -1, _id: 1 } }, { $limit: 10 }]).toArray();
  const sum = async (field) => {
    const [r] = await db.collection("games").aggregate([
      match, { $group: { _id: null, total: { $sum: field } } }]).toArray();
    return r ? r.total : 0;
  };
  return {
    _id: period, period,
    winners: winners.map((w) => ({ winnerEmail: w._id, wins: w.wins })),
    moves: [
      { move: "Rock", count: await sum("$RockCount") },
      { move: "Paper", count: await sum("$PaperCount") },
      { move: "Scissors", count: await sum("$ScissorsCount") },
    ],
    games: await sum(1),
    expiresAt: new Date(now + ttlSeconds * 1000),
  };
}

async function refresh(now) {
  const boards = {};
  for (const period of Object.keys(periods)) boards[period] = await leaderboard(period, now);
  for (const board of Object.values(boards))
    await db.collection("stats").replaceOne({ _id: board._id }, board, { upsert: true });
  return boards;
}

async function gameCompleted(envelope) {
  let event = envelope.Data.eventGridEvent;
  if (typeof event === "string") event = JSON.parse(event);
  const game = event && event.data;
  if (!validGame(game) || (event.eventType ?? event.type) !== "GameCompleted") {
    await db.collection("rejected").updateOne({ _id: `invalid:${event?.id}` },
      { $set: { reason: "invalid" }, $inc: { deliveries: 1 } }, { upsert: true });
    return { Outputs: {}, Logs: ["rejected"], ReturnValue: null };
  }
  try {
    await db.collection("games").insertOne({ ...game, _id: game.Id, Timestamp: new Date(game.Timestamp) });
  } catch (e) {
    if (e.code !== 11000) throw e;
  }
  await refresh(Date.now());
  return { Outputs: {}, Logs: [`counted ${game.Id}`], ReturnValue: null };
}

function httpOut(statusCode, body, headers = {}) {
  return { Outputs: { res: { statusCode, headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body) } }, Logs: [], ReturnValue: null };
}

async function getStats(envelope) {
  const period = Object.keys(periods).find(
    (p) => p.toLowerCase() === String(envelope.Data.req.Params?.period).toLowerCase());
  if (!period) return httpOut(400, { error: { field: "period" } });
  let board = await db.collection("stats").findOne({ _id: period });
  if (!board || board.expiresAt < new Date()) board = (await refresh(Date.now()))[period];
  const { _id, expiresAt, ...rest } = board;
  return httpOut(200, { id: _id, ...rest });
}

async function sendResult(envelope) {
  const body = JSON.parse(envelope.Data.req.Body || "null");
  const games = Array.isArray(body) ? body : [body];
  if (!games.length || !games.every(validGame)) return httpOut(400, { error: { field: "body" } });
  // The same refusal as gridboard's SendResult: a game that reuses a stored
  // Id with other content would never be counted, so it is not published.
  const stored = await db.collection("games").find({ _id: { $in: games.map((g) => g.Id) } }).toArray();
  const clash = stored.find((s) => {
    const g = games.find((x) => x.Id === s._id);
    return g && !sameGame(s, g);
  });
  if (clash) return httpOut(409, { error: { field: "Id" } });
  const events = games.map((g) => ({ id: g.Id, subject: "GameAPI.GameCompleted",
    eventType: "GameCompleted", dataVersion: "1.0", eventTime: new Date(g.Timestamp), data: g }));
  await publisher.send(events);
  return httpOut(202, { accepted: games.length });
}

const routes = { "/GameCompleted": gameCompleted, "/GetStats": getStats, "/SendResult": sendResult };

http.createServer(async (req, res) => {
  if (req.method === "GET" && req.url === "/") return res.end("{}");
  const handler = routes[req.url];
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    if (!handler) throw Object.assign(new Error("not found"), { status: 404 });
    const reply = await handler(JSON.parse(Buffer.concat(chunks).toString()));
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(reply));
  } catch (e) {
    res.writeHead(e.status || 500, { "Content-Type": "application/json" })
      .end(JSON.stringify({ error: String(e.message) }));
  }
}).listen(port, "127.0.0.1");
