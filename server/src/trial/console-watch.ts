// Reads a VM's serial console as it arrives and decides when a trial boot is over: the expected
// text showed up, the kernel panicked, or the firmware found nothing to boot. Pure: no timers,
// no processes; the runner feeds it text and asks it to settle an unfinished line when the
// console goes quiet (a getty's "login: " prompt never ends its line).

/** The golden image's marker line, or a login prompt of any Linux with a serial getty. */
export const DEFAULT_EXPECT = /^RACKCAST-CLONE |\blogin: *$/;

/** How many console lines a report keeps. */
export const TAIL_LINES = 20;

export type ConsoleVerdict =
  | { readonly kind: 'matched'; readonly line: string }
  /** The kernel gave up: "Kernel panic - not syncing: …". */
  | { readonly kind: 'panic'; readonly line: string }
  /** The firmware found no bootable disk (SeaBIOS) or fell back to its shell (OVMF). */
  | { readonly kind: 'no-boot-device'; readonly line: string };

const PANIC = /Kernel panic - not syncing/;
const NO_BOOT_DEVICE = /No bootable device|No bootable option or device was found|UEFI Interactive Shell|^Shell> *$/;

/**
 * Terminal escape sequences (CSI, OSC, charset selection, single-character ones). OVMF draws its
 * screens with cursor moves and colours; they would break a regex on the text.
 */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[0-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** One console line as a person reads it: no escape sequences, carriage returns or control bytes. */
export function cleanConsoleLine(raw: string): string {
  // A bare carriage return rewinds the cursor: what follows it overwrites the line (a countdown).
  const shown = raw.split('\r').map((part) => part.replace(ESCAPES, '').replace(CONTROLS, '').trimEnd()).filter((part) => part !== '');
  return shown.at(-1) ?? '';
}

/** Bounds memory when a guest prints a very long line with no newline. */
const MAX_PENDING = 64 * 1024;

export class ConsoleWatch {
  readonly #expect: RegExp;
  readonly #tail: string[] = [];
  #pending = '';
  #verdict: ConsoleVerdict | null = null;

  constructor(expect: RegExp = DEFAULT_EXPECT) {
    // A global or sticky regex keeps lastIndex between test() calls and would skip matches.
    this.#expect = expect.global || expect.sticky ? new RegExp(expect.source, expect.flags.replace(/[gy]/g, '')) : expect;
  }

  /** The first verdict reached, or null while the boot goes on. */
  get verdict(): ConsoleVerdict | null {
    return this.#verdict;
  }

  /** Takes console text; judges every completed line. Returns the verdict once there is one. */
  feed(text: string): ConsoleVerdict | null {
    const lines = (this.#pending + text).split('\n');
    this.#pending = lines.pop() ?? '';
    for (const raw of lines) this.#judge(cleanConsoleLine(raw));
    if (this.#pending.length > MAX_PENDING) this.settle();
    return this.#verdict;
  }

  /** Judges the unfinished last line as it stands: call it when the console has been quiet a while. */
  settle(): ConsoleVerdict | null {
    const line = cleanConsoleLine(this.#pending);
    this.#pending = '';
    this.#judge(line);
    return this.#verdict;
  }

  /** The last TAIL_LINES non-empty lines, including the unfinished one. */
  tail(): string[] {
    const pending = cleanConsoleLine(this.#pending);
    const lines = pending === '' ? [...this.#tail] : [...this.#tail, pending];
    return lines.slice(-TAIL_LINES);
  }

  #judge(line: string): void {
    if (line === '') return;
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    if (this.#verdict) return;
    if (this.#expect.test(line)) this.#verdict = { kind: 'matched', line };
    else if (PANIC.test(line)) this.#verdict = { kind: 'panic', line };
    else if (NO_BOOT_DEVICE.test(line)) this.#verdict = { kind: 'no-boot-device', line };
  }
}

/**
 * Parses `--expect`: a regular expression's source, or `/source/flags`. Returns null when it
 * does not compile, so the caller can say so with its own error.
 */
export function parseExpect(text: string): RegExp | null {
  const slashed = /^\/(.*)\/([imsu]*)$/s.exec(text);
  try {
    return slashed ? new RegExp(slashed[1] ?? '', slashed[2]) : new RegExp(text);
  } catch {
    return null;
  }
}
