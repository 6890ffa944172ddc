/**
 * `@vae/onnx-export`: turns a trainer checkpoint into ONNX encoder/decoder
 * graphs plus a `model.json` manifest, with protobufjs and no Python.
 *
 * @packageDocumentation
 */
export { exportCheckpoint, buildExport, readMetrics, EXPORT_FILES } from './export.js';
export type { BuildOptions, BuiltExport, ExportOptions, ExportResult } from './export.js';
export { ExportError } from './errors.js';
export type { ExportErrorCode } from './errors.js';
export { translateArch, irVersionForOpset, OPSET_RANGE, PRODUCER, BATCH_DIM, PRECISIONS, INT8_MIN_OPSET } from './translate.js';
export type { TranslateOptions, TranslatedModel, Precision } from './translate.js';
export { quantizeInt8PerChannel, dequantizeInt8, INT8_MAX } from './quantize-int8.js';
export type { Int8Weight } from './quantize-int8.js';
export { validateModel, validateModelBytes, formatReport } from './validate.js';
export type { ValidationProblem, ValidationReport } from './validate.js';
export { encodeModel, decodeModel, DataType, ONNX_PROTO_SOURCE } from './onnx-schema.js';
export type { ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, AttributeProto } from './onnx-schema.js';
export { chwToHwcPermutation, permuteConvKernel, permuteConvTransposeKernel } from './translate.js';
export { runCli } from './run-cli.js';
export type { CliIo } from './run-cli.js';
export { addVariants, exportVariantFromGraphs, graphWeights, recoverParams, variantFile } from './variants.js';
export type { AddedVariants } from './variants.js';
export { foldBatchNorm, withoutBatchNorm, batchNormLayers, BATCH_NORM_PARAMS } from './fold-batch-norm.js';
export type { FoldedModel } from './fold-batch-norm.js';
