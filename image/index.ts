export { TARGETS, TARGET_SPECS, BASE_PACKAGES, NODE_VERSION, targetOf, hasEmulatedPca9685, type Target, type TargetName } from './targets.ts';
export { planPartitions, rootSlotMiBFor, sfdiskScript, partitionReference, partitionOf, LayoutError, PARTITION_ROLES, type PartitionPlan, type PlannedPartition } from './partition-plan.ts';
export {
  checkProvisioning,
  parseProvisionFile,
  carConfigYaml,
  wpaSupplicantConf,
  provisionFileYaml,
  describeProblems,
  ProvisionFileSchema,
  PROVISION_FILE,
  PAIR_DIR,
  IDENTITY_FILE,
  ROOT_FILE,
  type ProvisionFile,
  type ProvisionProblem,
  type Provisioning,
} from './provisioning.ts';
export { CAR_LAYOUT, CAR_USER, osFiles, osLinks, osReleaseText, type OsIdentity, type OsFileOptions } from './os-files.ts';
export { OS_UPDATE_LAYOUT, SLOT_BOOTNAMES, compatibleOf, type SlotBootname } from './os-update-files.ts';
export {
  makeOsBundle,
  bundleFromImage,
  chunkOsBundle,
  verifyOsBundle,
  bundleManifest,
  bundleFileName,
  chunkedBundleFileName,
  BUNDLE_SLOT_IMAGE,
  type OsBundle,
  type OsBundleOptions,
  type ImageBundle,
  type ImageBundleOptions,
  type ChunkOptions,
  type ChunkedOsBundle,
  type VerifiedBundle,
} from './os-bundle.ts';
export { ImageManifestSchema, imageFileName, type ImageManifest } from './manifest.ts';
export { buildImage, type ImageBuildOptions, type ImageBuildResult } from './build.ts';
export { provisionImage, type ImageProvisionOptions } from './provision-image.ts';
export { runFirstBoot, growDataPartition, CONSOLE_MARKS, DEFAULT_PATHS, type FirstBootOptions, type FirstBootResult } from './first-boot.ts';
export { MissingToolError, requireTools } from './tools.ts';
