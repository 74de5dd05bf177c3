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
key is: configure it on the device ([keys and outcomes](guide/04-keys-and-outcomes.md#configuring-the-customer-device));
a \`config\` target or \`manual_config\` writes the configuration text for a person to apply
([delivery](guide/08-delivery.md)). Until then the device's next IKE SA fails with \`AUTHENTICATION_FAILED\` (the
real-IKE tests show it). The outage lasts until a person opens the file and puts the key on the device: the docs
give no figure for that and none is measured here; it is minutes when someone is at the console, hours when a
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
  const illustration = Number(((5 * 60_000) / median(one.upMs)).toPrecision(2)).toLocaleString('en');
  const retransmitted = (samples) => samples.retransmits.filter((count) => count > 0).length;
  return `${heading}

What a rotation costs the tunnel: the time from Cloudflare's key change to the customer device's IKE SA being up
again on the new key. Measured with the real daemons: two \`charon-systemd\` processes in two network namespaces
joined by a veth pair (the harness of the real-IKE tests, \`@ipsec-psk/rotation/testing\`), one the customer
device, the other Cloudflare's side, which gets every key the simulator stores before the simulator answers (its
attachment). The engine (\`createRotator\`, answering yes) delivers with a strongSwan target over the device's VICI
socket, with no health wait. ${runsOf(runs)} of each, one tunnel then the fleet, each starting with every tunnel
up; starting the daemons with ${fleetSize + 1} connections each and bringing every tunnel up (${ms(setUpMs)}) is
not counted. Times are wall-clock milliseconds, the clock charon's log is written in.

- **Start**: the simulator calls its attachment's \`pskChanged\` for the tunnel, just before Cloudflare's daemon
  loads the new key.
- **End**: the device's charon logs \`CHILD_SA … established\` for the tunnel's connection on an IKE SA that was
  not there when the run began: the end of IKE_AUTH, the IKE SA ESTABLISHED and its CHILD_SA INSTALLED. The log is
  read after the rotation returned, so nothing asks the daemon anything while it works (polling \`list-sas\` back to
  back instead loaded charon enough that a delivery's own VICI connection failed with \`EAGAIN\`).
  Checked, not taken from the engine: its result must say \`delivered\` with \`ike_up\`, and the device must
  still list that IKE SA ESTABLISHED with its CHILD_SA INSTALLED afterwards, or the run fails.
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
simulator is on this machine); then the key is stored (a 0600 file, synced) with its audit line, and the target
loads it into the device's charon, ends the old IKE SA, initiates a new one (IKE_SA_INIT and IKE_AUTH across the
veth) and checks it. A fleet's keys are stored before Set PSKs is sent, and delivered four tunnels at a time after
its answer, so ${fleetSize} tunnels come up in ${Math.ceil(fleetSize / 4)} waves: the worst tunnel is a few
one-tunnel deliveries after the answer.

**A lost IKE answer costs a retransmission.** Runs in which the device retransmitted an IKE request: one tunnel
${retransmitted(one)} of ${runs}, the fleet ${retransmitted(fleet)} of ${runs}. On this link it happens to a fleet
now and then (between one run in 10 and one in 60 while this benchmark was written): with four deliveries at once, more
than three half-open IKE SAs from the device's address can make Cloudflare's daemon answer with a COOKIE
(strongSwan's \`cookie_threshold_ip\`), and the answer to the retried IKE_SA_INIT, arriving at once
over the veth, can reach the device while its charon still holds that IKE SA, which drops it (\`ignoring request
with ID 0, already processing\`); the device sends again after its retransmit timeout, and that tunnel comes up
about 1 s late. The harness sets that timeout to 1 s; strongSwan's default is 4 s, so on a device left at the
default, one lost IKE packet puts that tunnel past the 2 s target, whoever delivers the key.

Not in these figures: the network. A real rotation adds the trip of Cloudflare's answer back to the machine running
it (half a round trip to the API; the one-tunnel figure only) and two round trips between the device and
Cloudflare's edge (IKE_SA_INIT, IKE_AUTH); the 2 s target leaves room for paths of a few hundred ms. Nor whether
Cloudflare's edge ends the old IKE SA when the key changes: here the device's old SA stayed up until the target
ended it (an established SA never looks at the key again), so the figure is the longest the tunnel can be down, not
necessarily what its traffic saw. Cloudflare's own view (\`IPSEC_PSK_HEALTH_WAIT\`) was off: its health checks see
the tunnel later, and that wait is not the device's outage.

${BASELINE}

Only as an illustration, assuming (not measuring) an operator who takes 5 minutes for one tunnel: that is about
${illustration} times the delivered one-tunnel median.`;
}
