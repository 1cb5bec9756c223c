// What other image builders (scripts/golden-image) reuse from the preboot builder: the cached
// Debian kernel, module resolution, busybox discovery and reproducible archives. Nothing here
// changes how the preboot image is built.
export { ensureKernelTree, resolveKernelPackage, type KernelTree } from './kernel-package.js';
export { resolveModules, moduleNameOf, type ModuleRequest } from './module-set.js';
export { ImagePlan, sha256File, type ImageEntry } from './image-plan.js';
export { writeArchive, type ArchiveOptions } from './cpio-archive.js';
export { runCommand } from './run-command.js';
export { BuildError } from './build-error.js';
export { busyboxApplets, findTool, librariesOf } from './host-files.js';
