/** Error vocabulary that crosses every process boundary (engine → main → renderer, CLI). */
import { z } from './zod';

export const ERROR_CODES = [
  'bad_input', // a file or folder exists but its content is wrong (names the file and the problem)
  'not_found', // a path that does not exist
  'unsupported', // a valid file in a format/codec we do not read
  'invalid_request', // an API payload that fails its schema
  'engine_crashed', // the engine process died while serving the call; it is being restarted
  'cancelled',
  'internal',
] as const;
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const S5ErrorDataSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  file: z.string().optional(),
});
export type S5ErrorData = z.infer<typeof S5ErrorDataSchema>;

export class S5Error extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  constructor(code: ErrorCode, message: string, file?: string) {
    super(message);
    this.name = 'S5Error';
    this.code = code;
    if (file !== undefined) this.file = file;
  }
  toData(): S5ErrorData {
    return this.file === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, file: this.file };
  }
  static from(data: S5ErrorData): S5Error {
    return new S5Error(data.code, data.message, data.file);
  }
}

/** Anything thrown → the wire form. Non-S5 errors become 'internal' with their message. */
export function toErrorData(err: unknown): S5ErrorData {
  if (err instanceof S5Error) return err.toData();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message };
}
