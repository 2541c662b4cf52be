/**
 * The inference pipeline (docs/inference.md). Module graph, no cycles:
 *   pipeline → process → {windower, refine → {runners → decision, verifier}, stems, outputs} ; process → dsp/{overlap-add, doa}
 *   submission → pipeline, zip ; inputs → outputs (recordingName)
 */
export { Pipeline, checkQuery, type LoadedModels, type RunCommon, type SeparateOptions } from './pipeline';
export { processRecording, windowCount, type PipelineProgress, type ProcessRequest } from './process';
export { TAGGER_DECODERS, decodeTagger, decodeMultilabel, decodeSlots, LabelTally, stemKeys, type LabelOrigin, type Pick, type StemKey, type WindowDecision } from './decision';
export { judge, runVerifier, verifierRule, type Verdict, type VerifierRule } from './verifier';
export { refineWindow, type RefineRequest, type RefineResult } from './refine';
export { windows, pipelineHop, HOP_FRACTION, type AudioWindow } from './windower';
export { runTagger, runSeparator, type ModelSession, type PipelineModel } from './runners';
export { buildSubmission, submissionNames, estimateName, type SubmissionRequest, type SubmissionSummary } from './submission';
export { expandInputs, AUDIO_EXTENSIONS } from './inputs';
export { ZipWriter } from './zip';
export { LABELS_JSON, LABELS_CSV, recordingName, stemName } from './outputs';
