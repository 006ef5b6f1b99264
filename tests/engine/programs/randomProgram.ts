// A tiny Pulumi program for the harness's own tests: one RandomBytes whose keepers come from config.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

const config = new pulumi.Config("harness");
const bytes = new random.RandomBytes("bytes", { length: 32, keepers: { generation: config.require("generation") } });
const extra = config.getBoolean("extra")
    ? new random.RandomBytes("extra", { length: 16 })
    : undefined;

export const base64 = bytes.base64;
export const hex = pulumi.unsecret(bytes.hex);
export const hasExtra = extra !== undefined;

/** A component, so the harness's handling of registerOutputs is exercised. */
class Wrapper extends pulumi.ComponentResource {
    readonly length: pulumi.Output<number>;
    constructor(name: string) {
        super("harness:index:Wrapper", name);
        this.length = pulumi.output(32);
        this.registerOutputs({ length: this.length });
    }
}
export const wrapped = new Wrapper("wrapper").length;
