/**
 * What the three formats decoded by wasm libraries (FLAC, Ogg, MPEG audio) share as a
 * DecoderSource: the decoder's lifetime (created per read, freed on close), frames the decoder
 * skipped counted into one warning, and a decoding failure turned into a `bad_input` error that
 * names the file. Each format supplies its decoder, its decoded pieces in order and its channel check.
 */
import { S5Error } from '../../shared/errors';
import { splitBlocks, type DecoderSource, type SourceHeader } from './source';

/** One piece of decoder output (the shape all three libraries return). */
export interface Decoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  errors: { message: string }[];
}

interface WasmDecoder {
  ready: Promise<unknown>;
  free(): void;
}

export abstract class WasmDecoderSource<D extends WasmDecoder> implements DecoderSource {
  private decoder: D | null = null;

  /** `what`: the format in the error ("FLAC data"); `unit`: what the decoder skips ("FLAC frame(s)"). */
  protected constructor(readonly header: SourceHeader, protected readonly file: string, private readonly what: string, private readonly unit: string) {}

  protected abstract createDecoder(): D;
  /** The decoder's output for the whole stream, in order (chunks fed, then any flush). */
  protected abstract decode(decoder: D): AsyncIterable<Decoded>;
  /** The channels of one non-empty piece, checked against the header (and rescaled where needed). */
  protected abstract channels(d: Decoded): Float32Array[];

  async *blocks(blockFrames: number, warn: (m: string) => void): AsyncGenerator<Float32Array[]> {
    const decoder = this.createDecoder();
    this.decoder = decoder;
    await decoder.ready;
    let errors = 0;
    let firstError = '';
    try {
      for await (const d of this.decode(decoder)) {
        if (d.errors.length > 0) {
          if (errors === 0) firstError = d.errors[0].message;
          errors += d.errors.length;
        }
        if (d.samplesDecoded > 0) yield* splitBlocks(this.channels(d), d.samplesDecoded, blockFrames);
      }
    } catch (e) {
      if (e instanceof S5Error) throw e;
      throw new S5Error('bad_input', `${this.what} cannot be decoded (${e instanceof Error ? e.message : String(e)})`, this.file);
    }
    if (errors > 0) warn(`${errors} ${this.unit} could not be decoded and were skipped (first: ${firstError})`);
  }

  close(): void {
    const d = this.decoder;
    this.decoder = null;
    if (d) void d.ready.then(() => d.free());
  }
}
