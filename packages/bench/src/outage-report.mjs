// Figure 6 in docs/benchmarks.md: the summary table's outage rows and section 6, from what measureOutage returned.
import { FLEET_TUNNELS, OUTAGE_TARGET_MS } from './outage.mjs';
import { median } from './stats.mjs';

const ms = (value) => `${value.toFixed(0)} ms`;
const worst = (values) => Math.max(...values);
const verdict = (values) => (worst(values) <= OUTAGE_TARGET_MS ? 'met' : '**missed**');
const target = `≤ ${OUTAGE_TARGET_MS / 1000} s`;
const runsOf = (count) => `${count} run${count === 1 ? '' : 's'}`;
const measured = (values) =>
  `median ${ms(median(values))}, max ${ms(worst(values))} (${runsOf(values.length)})`;

const BASELINE_ROW =
  '| outage by hand, the baseline (no delivery file: a person configures the key on the device) | ' +
  'a person’s time: minutes by day, hours at night (not measured) | report only | — |';

/** The summary table's rows for the outage: one tunnel, the fleet's worst tunnel, and the baseline. */
export function outageRows(outage) {
  if (outage.skipped) {
    return [
      `| outage, one tunnel and a fleet of ${FLEET_TUNNELS}: key changed at Cloudflare → device IKE SA up | not measured: ${outage.skipped} | ${target} | — |`,
      BASELINE_ROW,
    ].join('\n');
  }
  const { one, fleet, fleetSize } = outage;
  return [
    `| outage, one tunnel (Generate PSK, strongSwan target): key changed at Cloudflare → device IKE SA up | ${measured(one.upMs)} | ${target} | ${verdict(one.upMs)} |`,
    `| outage, a fleet of ${fleetSize} (one Set PSKs): its answer back → the worst tunnel's device IKE SA up | ${measured(fleet.worstFromAnswerMs)} | ${target} | ${verdict(fleet.worstFromAnswerMs)} |`,
    BASELINE_ROW,
  ].join('\n');
}

const BASELINE = `**The baseline: by hand.** Without a delivery file, the engine stores the key and its result says where the
key is: configure it on the device ([keys and outcomes](guide/04-keys-and-outcomes.md#configuring-the-customer-device),
[delivery](guide/08-delivery.md)). Until then the device's next IKE SA fails with \`AUTHENTICATION_FAILED\` (the
real-IKE tests show it). The outage lasts until a person opens the key file and puts the key on the device: the
docs give no figure for that and none is measured here; it is minutes when someone is at the console, hours when a
scheduled rotation runs at night.`;

/** Section 6. */
export function outageSection(outage) {
  const heading = '## 6. The outage';
  if (outage.skipped) {
    return `${heading}

Not measured on this run: ${outage.skipped}. It needs Linux, root (network namespaces), strongSwan
(\`charon-systemd\`, \`swanctl\`, the plugins the real-IKE tests load) and \`ip\`; the rest of this page does not.

${BASELINE}`;
  }
  const { one, fleet, fleetSize, runs, setUpMs } = outage;
  const row = (label, values, goal = '—') =>
    `| ${label} | ${ms(median(values))} | ${ms(worst(values))} | ${goal} |`;
  const illustration = (5 * 60_000) / median(one.upMs);
  return `${heading}

What a rotation costs the tunnel: the time from Cloudflare's key change to the customer device's IKE SA being up
again on the new key. Measured with the real daemons: two \`charon-systemd\` processes in two network namespaces
joined by a veth pair (the harness of the real-IKE tests, \`@ipsec-psk/rotation/testing\`), one the customer device,
the other Cloudflare's side, which gets every key the simulator stores before the simulator answers (its
attachment). The engine (\`createRotator\`, answering yes) delivers with a strongSwan target over the device's VICI
socket, with no health wait. ${runsOf(runs)} of each, one tunnel then the fleet, each starting with every tunnel
up; starting the daemons with ${fleetSize + 1} connections each and bringing every tunnel up (${ms(setUpMs)}) is
not counted.

- **Start**: the simulator calls its attachment's \`pskChanged\` for the tunnel, just before Cloudflare's daemon
  loads the new key.
- **End**: the first time the bench's own poll of the device's VICI socket (\`list-sas\` back to back, beside the
  engine) lists a new IKE SA of the tunnel's connection ESTABLISHED with its CHILD_SA INSTALLED. The time is that
  listing's reply, so it is at most one listing late: the widest gap between two replies in a run was
  ${ms(median([...one.gapMs, ...fleet.gapMs]))} (median; max ${ms(worst([...one.gapMs, ...fleet.gapMs]))}), as a
  listing waits while charon works on an SA. The engine's word is checked, not used: its result must say \`delivered\` with
  \`ike_up\`, and the device's SA must still be up after it returned, or the run fails.
- **Fleet**: ${fleetSize} tunnels in one Set PSKs request, counted from when its answer was fully read by the
  API client's \`fetch\` (wrapped); by then Cloudflare's daemon had every key. The worst tunnel is the last one up.

| | median | max | target |
| --- | --- | --- | --- |
${[
  row('one tunnel: key changed → device IKE SA up', one.upMs, target),
  row('one tunnel: key changed → Generate PSK’s answer read by the client', one.answeredMs),
  row('one tunnel: key changed → `rotateTunnel` returned', one.returnedMs),
  row(`fleet of ${fleetSize}: Set PSKs answered → first tunnel up`, fleet.bestFromAnswerMs),
  row(`fleet of ${fleetSize}: Set PSKs answered → worst tunnel up`, fleet.worstFromAnswerMs, target),
  row(`fleet of ${fleetSize}: the worst tunnel from its own key change`, fleet.worstFromChangeMs),
  row(`fleet of ${fleetSize}: Set PSKs answered → \`rotateTunnels\` returned`, fleet.returnedMs),
].join('\n')}

Where the time goes, one tunnel: Cloudflare's answer is read ${ms(median(one.answeredMs))} after the change (the
simulator is on this machine); then the key is stored (a 0600 file, synced) with its audit line, and the target loads it into the device's charon,
ends the old IKE SA, initiates a new one (IKE_SA_INIT and IKE_AUTH across the veth) and checks it. A fleet's keys are
stored before Set PSKs is sent, and delivered four tunnels at a time after its answer, so ${fleetSize} tunnels come
up in ${Math.ceil(fleetSize / 4)} waves: the worst tunnel is a few one-tunnel deliveries after the answer.

Not in these figures: the network. A real rotation adds the trip of Cloudflare's answer back to the machine running
it (half a round trip to the API; the one-tunnel figure only) and two round trips between the device and
Cloudflare's edge (IKE_SA_INIT, IKE_AUTH); the 2 s target leaves room for paths of a few hundred ms. Nor whether
Cloudflare's edge ends the old IKE SA when the key changes: here the device's old SA stayed up until the target
ended it (an established SA never looks at the key again), so the figure is the longest the tunnel can be down, not
necessarily what its traffic saw. Cloudflare's own view (\`IPSEC_PSK_HEALTH_WAIT\`) was off: its health checks see
the tunnel later, and that wait is not the device's outage.

${BASELINE}

Only as an illustration, assuming (not measuring) an operator who takes 5 minutes for one tunnel: that is about ${Number(illustration.toPrecision(2)).toLocaleString('en')} times the delivered one-tunnel median.`;
}
