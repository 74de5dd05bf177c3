import type { SimOperation } from './types.js';

/** Operations that can store keys, and so take `validate_only`; the others only read. */
export function isPersisting(operation: SimOperation | undefined): operation is 'psk_generate' | 'set_psks' {
  return operation === 'psk_generate' || operation === 'set_psks';
}

/** Operations whose path names one tunnel, which must exist before anything else happens. */
export function addressesTunnel(operation: SimOperation): operation is 'psk_generate' | 'get_tunnel' {
  return operation === 'psk_generate' || operation === 'get_tunnel';
}
