// Every count that decides how long `pnpm bench` runs lives here, so the time budget is tuned in one place.
// FULL aims at about 2–3 minutes on a 2-core machine (hard limit 5); QUICK is a ~30 s smoke run that only
// checks that every measurement still works, not that its figures mean anything.

export const FULL = {
  // Figure 1, per-call client cost: one long-lived process per contender, warmed up once (warmupCalls sequential
  // calls, at most warmupMaxMs), then `rounds` interleaved measurements. Each timed phase also stops after
  // maxPhaseMs, so a loaded machine shortens it instead of blowing the time budget.
  perCall: {
    warmupCalls: 6000,
    warmupMaxMs: 8000,
    rounds: 5,
    sequentialCalls: 1500,
    concurrentCalls: 3000,
    inFlight: 32,
    maxPhaseMs: 2000,
  },
  // Figure 1b, instructions per call under callgrind (valgrind slows Node ~50×, so few calls): each contender
  // runs with warmupCalls + calls[0] and warmupCalls + calls[1] calls; the difference gives the per-call count.
  instructions: { warmupCalls: 50, calls: [50, 250] },
  // Figure 2, cold import: fresh `node` processes per contender, interleaved.
  coldImport: { runs: 11 },
  // Figure 4a, MCP spawn → initialize → tools/list: fresh server processes per contender, interleaved.
  mcpStartup: { runs: 9 },
  // Figure 4b/4c, warm tool calls: rounds × (our server, minimal server, raw fetch).
  mcpCalls: { rounds: 3, warmupCalls: 50, calls: 200 },
};

export const QUICK = {
  perCall: {
    warmupCalls: 300,
    warmupMaxMs: 1000,
    rounds: 1,
    sequentialCalls: 200,
    concurrentCalls: 320,
    inFlight: 32,
    maxPhaseMs: 1000,
  },
  instructions: undefined,
  coldImport: { runs: 2 },
  mcpStartup: { runs: 2 },
  mcpCalls: { rounds: 1, warmupCalls: 10, calls: 30 },
};

// Targets the lead set; `report.mjs` prints "met" or "missed by X%" next to each figure.
export const TARGETS = {
  coreCpuRatio: 1.15, // core per-call client CPU ≤ 1.15 × raw fetch
  coreImportMs: 10, // core cold import ≤ 10 ms
  coreClosureBytes: 1_000_000, // core production dependency closure ≤ 1 MB
  mcpStartupRatio: 0.8, // our server spawn → tools/list ≤ 0.8 × the minimal SDK server (non-sandbox)
  toolCallOverheadMs: 3, // warm tool call ≤ 3 ms over the API call itself
  serverRssBytes: 80_000_000, // our server's RSS after warm calls ≤ 80 MB
};

// Fixed ids and credentials: the fixed-response server answers anything, so these only need to be well formed.
export const ACCOUNT_ID = '023e105f4ecef8ad9ca31a8372d0c353';
export const TUNNEL_ID = 'c4a7362d577a6c3019a474fd6f485823';
export const API_TOKEN = 'bench';
export const USER_AGENT = 'ipsec-psk-bench/0';
