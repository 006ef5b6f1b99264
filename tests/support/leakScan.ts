/**
 * A leak scan for a whole test run: collect every secret the run generated (emulator passwords,
 * key bytes, clientSecret outputs) and every text that must not hold one (log lines, error
 * messages, non-secret outputs, serialized provider text), then look for each secret in each text.
 *
 * Findings name the text's label and the secret's kind and length, never the secret itself.
 */

/** One secret found in one text. */
export interface LeakFinding {
    /** Label of the text it was found in, e.g. "host stderr" or "error: create under 5xx". */
    readonly where: string;
    /** What kind of secret it was, e.g. "emulator secretText". */
    readonly secretKind: string;
    /** Its length (to tell secrets apart without printing them). */
    readonly length: number;
}

/** Secrets shorter than this are not scanned for (they would match by chance). */
const MIN_SECRET_LENGTH = 12;

/** Collects secrets and texts; {@link LeakScan.scan} compares them. */
export class LeakScan {
    private readonly secrets = new Map<string, string>();
    private readonly texts: { where: string; text: string }[] = [];

    /** Registers a secret value; short or empty values are ignored. */
    secret(kind: string, value: unknown): void {
        if (typeof value === "string" && value.length >= MIN_SECRET_LENGTH && !this.secrets.has(value)) {
            this.secrets.set(value, kind);
        }
    }

    /** Registers a text that must hold no secret (objects are scanned as their JSON). */
    text(where: string, value: unknown): void {
        const text = typeof value === "string" ? value : JSON.stringify(value) ?? "";
        if (text !== "") {
            this.texts.push({ where, text });
        }
    }

    /** How many secrets and texts were collected. */
    get counts(): { secrets: number; texts: number; characters: number } {
        return { secrets: this.secrets.size, texts: this.texts.length, characters: this.texts.reduce((n, t) => n + t.text.length, 0) };
    }

    /** Every (text, secret) pair where the secret appears in the text. */
    scan(): LeakFinding[] {
        const findings: LeakFinding[] = [];
        for (const { where, text } of this.texts) {
            for (const [secret, kind] of this.secrets) {
                if (text.includes(secret)) {
                    findings.push({ where, secretKind: kind, length: secret.length });
                }
            }
        }
        return findings;
    }
}
