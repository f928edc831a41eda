/**
 * The image's manifest: what was built, from what, with which checksums. Written beside the image;
 * the OS-update work will check a slot against it.
 */
import { Type, type Static } from '@sinclair/typebox';

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const ImageManifestSchema = Type.Object(
  {
    schema: Type.Literal('edge-car-image/1'),
    osVersion: Type.String(),
    /** the build's time, whole seconds since the epoch: EDGE_OS_BUILD in the image, build= in its bundles */
    osBuild: Type.Integer({ minimum: 0 }),
    /** RAUC's compatible: a bundle for another one is refused */
    compatible: Type.String(),
    target: Type.String(),
    arch: Type.String(),
    builtAt: Type.String(),
    image: Type.Object({ file: Type.String(), bytes: Type.Integer(), sha256: Sha256, compressed: Type.Object({ file: Type.String(), bytes: Type.Integer(), sha256: Sha256 }) }),
    partitionTable: Type.Union([Type.Literal('gpt'), Type.Literal('dos')]),
    partitions: Type.Array(
      Type.Object({ index: Type.Integer(), role: Type.String(), label: Type.String(), fs: Type.String(), offsetBytes: Type.Integer(), bytes: Type.Integer(), usedBytes: Type.Integer(), sha256: Sha256 }),
    ),
    node: Type.Object({ version: Type.String(), package: Type.String() }),
    carBundle: Type.Object({ sha256: Sha256, bytes: Type.Integer() }),
    natives: Type.Record(Type.String(), Type.String()),
    kernel: Type.String(),
    packages: Type.Array(Type.Object({ name: Type.String(), version: Type.String(), arch: Type.String() })),
    sizes: Type.Object({ kernelAndModulesBytes: Type.Integer(), nodeBytes: Type.Integer(), addonsBytes: Type.Integer(), carBundleBytes: Type.Integer(), restBytes: Type.Integer(), rootfsUsedBytes: Type.Integer() }),
  },
  { additionalProperties: false },
);
export type ImageManifest = Static<typeof ImageManifestSchema>;

/** The OS version: the project's version and a hash of every input, so two different images never share a version. */
export function osVersionOf(projectVersion: string, inputsHash: string): string {
  return `${projectVersion}-${inputsHash.slice(0, 8)}`;
}

export function imageFileName(osVersion: string, target: string): string {
  return `car-${osVersion}-${target}.img`;
}
