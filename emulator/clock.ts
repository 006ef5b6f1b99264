/**
 * The emulator's clock. Credential validity, ACS propagation, policy lifetimes, default
 * `startDateTime`s and token `nbf`/`exp` all read it, so a test can move through days of a
 * rotation in milliseconds. By default it follows wall time (so `npm run emulator` behaves like a
 * live service); `set()` and `advance()` shift it, `freeze()` stops it for exact assertions.
 */
export class EmulatorClock {
    private offsetMs = 0;
    private frozenAt: number | null = null;

    /** The emulator's current time. */
    now(): Date {
        return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
    }

    /** Moves the clock to `date` (it keeps running from there unless frozen). */
    set(date: Date): void {
        if (Number.isNaN(date.getTime())) {
            throw new Error(`clock.set: received an invalid date; pass a valid Date.`);
        }
        if (this.frozenAt !== null) {
            this.frozenAt = date.getTime();
        } else {
            this.offsetMs = date.getTime() - Date.now();
        }
    }

    /** Moves the clock forward by `ms` milliseconds (negative moves it back). */
    advance(ms: number): void {
        if (!Number.isFinite(ms)) {
            throw new Error(`clock.advance: received ${ms}; pass a finite number of milliseconds.`);
        }
        if (this.frozenAt !== null) {
            this.frozenAt += ms;
        } else {
            this.offsetMs += ms;
        }
    }

    /** Stops the clock at `at` (default: the current emulator time). */
    freeze(at?: Date): void {
        this.frozenAt = (at ?? this.now()).getTime();
    }

    /** Lets a frozen clock run again from where it stands. */
    unfreeze(): void {
        if (this.frozenAt !== null) {
            this.offsetMs = this.frozenAt - Date.now();
            this.frozenAt = null;
        }
    }

    /** Whether the clock is frozen. */
    get frozen(): boolean {
        return this.frozenAt !== null;
    }

    /** Back to wall time, running. */
    reset(): void {
        this.offsetMs = 0;
        this.frozenAt = null;
    }
}
