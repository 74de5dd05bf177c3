/** Turns streamed VICI events into typed results. */
import type { ControlLogEntry } from './errors.js';
import type { ViciMessage } from './wire.js';

/** A CHILD_SA as `list-sas` reports it. */
export interface ChildSa {
  /** Key in `child-sas`: the name plus the unique id. */
  key: string;
  name: string;
  uniqueId: number;
  /** INSTALLED once the CHILD_SA is up. */
  state: string;
  raw: ViciMessage;
}

/** An IKE_SA as `list-sas` reports it, with its CHILD_SAs. */
export interface IkeSa {
  name: string;
  uniqueId: number;
  /** ESTABLISHED once the IKE_SA is up and authenticated. */
  state: string;
  initiator: boolean;
  localId?: string;
  remoteId?: string;
  localHost?: string;
  remoteHost?: string;
  children: ChildSa[];
  raw: ViciMessage;
}

/** A `list-sa` event's entry, typed. */
export function toIkeSa(name: string, sa: ViciMessage): IkeSa {
  const children: ChildSa[] = [];
  const childSas = sa['child-sas'];
  if (isSection(childSas)) {
    for (const [key, child] of Object.entries(childSas)) {
      if (!isSection(child)) continue;
      children.push({
        key,
        name: text(child.name),
        uniqueId: Number(child.uniqueid),
        state: text(child.state),
        raw: child,
      });
    }
  }
  return {
    name,
    uniqueId: Number(sa.uniqueid),
    state: text(sa.state),
    initiator: sa.initiator === 'yes',
    ...optional('localId', sa['local-id']),
    ...optional('remoteId', sa['remote-id']),
    ...optional('localHost', sa['local-host']),
    ...optional('remoteHost', sa['remote-host']),
    children,
    raw: sa,
  };
}

/** A `control-log` event, typed. */
export function toLogEntry(event: ViciMessage): ControlLogEntry {
  // The plugin README says "ikesa-uniqued"; charon 5.9.8 sends "ikesa-uniqueid".
  const uniqueId = event['ikesa-uniqueid'];
  return {
    group: text(event.group),
    level: Number(event.level),
    ...optional('ikeSaName', event['ikesa-name']),
    ...(typeof uniqueId === 'string' ? { ikeSaUniqueId: Number(uniqueId) } : {}),
    msg: text(event.msg),
  };
}

/** Whether a decoded value is a section (not a string or list). */
export function isSection(value: ViciMessage[string] | undefined): value is ViciMessage {
  return typeof value === 'object' && !Array.isArray(value);
}

/** A decoded value as text; '' when it is not a string. */
export function text(value: ViciMessage[string] | undefined): string {
  return typeof value === 'string' ? value : '';
}

function optional<K extends string>(key: K, value: ViciMessage[string] | undefined): { [P in K]?: string } {
  return (typeof value === 'string' ? { [key]: value } : {}) as { [P in K]?: string };
}
