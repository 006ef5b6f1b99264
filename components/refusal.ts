import * as pulumi from "@pulumi/pulumi";

/**
 * What a component or a program refuses (arguments, stack config, a run that would cause an
 * outage): a `pulumi.RunError`, which Pulumi's Node runner prints as its message alone.
 *
 * Its stack is the message alone too. The runner also formats the first error of a run with
 * `util.inspect(err, { colors: true })`, and from Node.js 22.20 to at least 22.23.5 that call loops
 * until the string is too long (a minute of CPU and about 3 GB of memory) when a stack line names
 * a file right under a scoped package, as Pulumi's source-mapped frames do
 * (`…/node_modules/@pulumi/output.ts:519:31`): Node's `markNodeModules` finds no separator after
 * `@pulumi/output.ts` and starts over. docs/FACTS.md §5.
 */
export class RefusalError extends pulumi.RunError {
    constructor(message: string) {
        super(message);
        this.name = "RefusalError";
        this.stack = message;
    }
}
