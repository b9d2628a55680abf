// mod_reqtimeout's RequestReadTimeout: how long a client may take to send its request head
// and its body, each as an initial number of seconds, raised by a second for every MinRate
// bytes received, up to a maximum. Parsed with mod_reqtimeout's own checks and messages.

/** One stage; 0 everywhere: no limit. */
export interface ReadTimeoutStage {
  /** Seconds from the stage's first byte; 0: the stage is not limited. */
  seconds: number;
  /** The most the rate may raise it to; 0: no maximum. */
  maxSeconds: number;
  /** Bytes per second that earn one more second; 0: none are earned. */
  minRate: number;
}

export type ReadTimeoutStages = Partial<Record<'header' | 'body', ReadTimeoutStage>>;

const NONE: ReadTimeoutStage = { seconds: 0, maxSeconds: 0, minRate: 0 };

/** What a stage not set anywhere is: mod_reqtimeout's defaults when the module is loaded, else no limit. */
export const defaultStages = (loaded: boolean): Required<ReadTimeoutStages> => (loaded
  ? { header: { seconds: 20, maxSeconds: 40, minRate: 500 }, body: { seconds: 20, maxSeconds: 0, minRate: 500 } }
  : { header: NONE, body: NONE });

/** mod_reqtimeout's parse_int. */
function whole(text: string): number {
  const digits = /^[+-]?\d+/.exec(text);
  if (!digits) throw new Error(`Value '${text}' not numerical`);
  if (digits[0].length !== text.length) throw new Error(`Cannot parse '${text.slice(digits[0].length)}'`);
  const value = Number(digits[0]);
  if (value < 0) throw new Error('Value must be non-negative');
  return value;
}

function parseStage(value: string): ReadTimeoutStage {
  const rateAt = value.toLowerCase().indexOf(',minrate=');
  if (rateAt < 0) {
    if (value.includes('-')) throw new Error('Must set MinRate option if using timeout range');
    return { seconds: whole(value), maxSeconds: 0, minRate: 0 };
  }
  const minRate = whole(value.slice(rateAt + ',minrate='.length));
  if (minRate === 0) throw new Error('Minimum data rate must be larger than 0');
  const [initial, max] = value.slice(0, rateAt).split(/-(.*)/s);
  const maxSeconds = max === undefined ? 0 : whole(max);
  const seconds = whole(initial!);
  if (maxSeconds && seconds >= maxSeconds) throw new Error('Maximum timeout must be larger than initial timeout');
  return { seconds, maxSeconds, minRate };
}

/**
 * The stages `words` set (handshake= is checked and has no effect: tswsgi does no TLS). Throws
 * with mod_reqtimeout's message.
 */
export function parseRequestReadTimeout(words: string[]): ReadTimeoutStages {
  const stages: ReadTimeoutStages = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq < 0) throw new Error("Invalid RequestReadTimeout parameter. Parameter must be in the form 'key=value'");
    const key = word.slice(0, eq).toLowerCase();
    const value = word.slice(eq + 1);
    try {
      if (key !== 'handshake' && key !== 'header' && key !== 'body') throw new Error('Unknown RequestReadTimeout parameter');
      const stage = parseStage(value);
      if (key !== 'handshake') stages[key] = stage;
    } catch (err) {
      throw new Error(`RequestReadTimeout: ${word.slice(0, eq)}=${value}: ${(err as Error).message}`);
    }
  }
  return stages;
}
