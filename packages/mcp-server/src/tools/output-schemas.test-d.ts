import type { FleetOutput, RotationOutput } from '@ipsec-psk/rotation';
import { expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { fleetOutputShape } from './fleet-output.js';
import type { rotationOutputShape } from './rotation-output.js';

// The tools' output schemas describe the engine's results for the model; they must not drift from them.

/** The same type written as one object (the engine's results are intersections with their confirmation fields). */
type Flat<T> = { [K in keyof T]: T[K] };

it('generate_ipsec_psk’s output schema is the engine’s RotationOutput', () => {
  expectTypeOf<z.infer<z.ZodObject<typeof rotationOutputShape>>>().toEqualTypeOf<Flat<RotationOutput>>();
});

it('rotate_ipsec_psks’s output schema is the engine’s FleetOutput', () => {
  expectTypeOf<z.infer<z.ZodObject<typeof fleetOutputShape>>>().toEqualTypeOf<Flat<FleetOutput>>();
});
