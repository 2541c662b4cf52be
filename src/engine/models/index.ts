/**
 * Models: discovery, validation (manifest, sha256, ONNX inputs/outputs, roles) and the active
 * pair. Module graph (no cycles): registry → validate → {hash, onnx-io, roles}; registry → settings.
 */
export { ModelRegistry, modelRole, type ModelRole, type ActivePair, type ModelRoot, type RegistryOptions, type ValidModel } from './registry';
export { validateModelFolder, compareIo, MANIFEST_FILE, type ModelEntry, type ModelSource } from './validate';
export { checkRoles, checkPair, checkVerifier, windowSamples, taggerOutputKind, taggerSlots, type TaggerOutputKind } from './roles';
export { readOnnxIo, type OnnxIo, type OnnxTensorInfo } from './onnx-io';
export { sha256File } from './hash';
export { toModelInfo, activeInfo, listModelInfo } from './info';
