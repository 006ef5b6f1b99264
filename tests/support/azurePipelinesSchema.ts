// A JSON schema for the part of the Azure Pipelines YAML syntax that
// pipelines/azure-devops/azure-pipelines.yml uses, for tests/pipelines.test.ts.
//
// Why our own: the schema Azure DevOps validates against (its "service schema", served per
// organization and bundled with the VS Code extension) is not published in the npm registry, and
// no other package there carries it. This one is written from Microsoft's Azure Pipelines YAML
// schema reference (learn.microsoft.com, azure/devops/pipelines/yaml-schema: pipeline, trigger, pr,
// schedules.cron, pool, stages.stage, jobs.job, jobs.deployment, jobs.deployment.strategy.runOnce,
// steps.task, steps.script, steps.bash, steps.checkout). Each construct the example uses lists
// every property the reference gives it and rejects any other key; constructs the example does not
// use (extends, resources, templates, variables, parameters, other step types) pass unchecked.
//
// It is written in the service schema's dialect (`firstProperty`: the key a job, stage or step
// must start with), so that azure-pipelines-language-service, the validator of the VS Code
// extension, checks it as it checks the service schema. Swapping in the service schema needs no
// other change.

type Schema = { [keyword: string]: unknown };

const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });

// Azure DevOps reads every YAML scalar as a string; booleans are "true" / "false" in any spelling YAML gives.
const scalar: Schema = { type: ["string", "boolean", "number"] };
const boolean: Schema = { anyOf: [{ type: "boolean" }, { enum: ["true", "false"] }] };
const string: Schema = { type: "string" };
const stringList: Schema = { type: "array", items: string };
const unchecked: Schema = {};

/** An object whose keys are among `properties`, with `first` required and written first. */
function construct(first: string, properties: Schema): Schema {
    return { type: "object", firstProperty: [first], required: [first], additionalProperties: false, properties };
}

function closed(properties: Schema): Schema {
    return { type: "object", additionalProperties: false, properties };
}

// steps.task and the other step types: the properties every step takes.
const stepCommon: Schema = {
    condition: string,
    continueOnError: boolean,
    displayName: string,
    target: unchecked,
    enabled: boolean,
    env: ref("stringDictionary"),
    name: { type: "string", pattern: "^[-_A-Za-z0-9]*$" },
    timeoutInMinutes: scalar,
    retryCountOnTaskFailure: scalar,
};

const shellStep = (key: string): Schema =>
    construct(key, { [key]: string, failOnStderr: boolean, workingDirectory: string, ...stepCommon });

const jobCommon: Schema = {
    displayName: string,
    dependsOn: ref("dependsOn"),
    condition: string,
    continueOnError: boolean,
    timeoutInMinutes: scalar,
    cancelTimeoutInMinutes: scalar,
    variables: unchecked,
    pool: ref("pool"),
    container: unchecked,
    services: unchecked,
    workspace: unchecked,
    uses: unchecked,
    templateContext: unchecked,
};

const deploymentHook = closed({ steps: ref("steps"), pool: ref("pool") });

/** The schema, as azure-pipelines-language-service takes it. */
export const AZURE_PIPELINES_SUBSET_SCHEMA: Schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Azure Pipelines: the subset this repository's example uses",
    ...closed({
        name: string,
        appendCommitMessageToRunName: boolean,
        trigger: ref("trigger"),
        pr: ref("pr"),
        schedules: { type: "array", items: ref("schedule") },
        parameters: unchecked,
        resources: unchecked,
        variables: unchecked,
        lockBehavior: { enum: ["sequential", "runLatest"] },
        pool: ref("pool"),
        stages: { type: "array", items: ref("stage") },
        jobs: ref("jobs"),
        steps: ref("steps"),
        extends: unchecked,
    }),
    definitions: {
        stringDictionary: { type: "object", additionalProperties: scalar },
        includeExclude: closed({ include: stringList, exclude: stringList }),
        dependsOn: { anyOf: [string, stringList] },
        trigger: {
            anyOf: [
                { enum: ["none"] },
                stringList,
                closed({ batch: boolean, branches: ref("includeExclude"), paths: ref("includeExclude"), tags: ref("includeExclude") }),
            ],
        },
        pr: {
            anyOf: [
                { enum: ["none"] },
                stringList,
                closed({ autoCancel: boolean, branches: ref("includeExclude"), paths: ref("includeExclude"), drafts: boolean }),
            ],
        },
        schedule: construct("cron", { cron: string, displayName: string, branches: ref("includeExclude"), batch: boolean, always: boolean }),
        pool: { anyOf: [string, closed({ name: string, demands: { anyOf: [string, stringList] }, vmImage: string })] },
        stage: construct("stage", {
            stage: string,
            displayName: string,
            pool: ref("pool"),
            dependsOn: ref("dependsOn"),
            condition: string,
            variables: unchecked,
            jobs: ref("jobs"),
            lockBehavior: { enum: ["sequential", "runLatest"] },
            trigger: { enum: ["manual", "automatic"] },
            isSkippable: boolean,
            templateContext: unchecked,
        }),
        jobs: { type: "array", items: { anyOf: [ref("job"), ref("deployment")] } },
        job: construct("job", { job: string, ...jobCommon, strategy: unchecked, steps: ref("steps") }),
        deployment: construct("deployment", { deployment: string, ...jobCommon, environment: unchecked, strategy: ref("deploymentStrategy") }),
        deploymentStrategy: closed({
            runOnce: closed({
                preDeploy: deploymentHook,
                deploy: deploymentHook,
                routeTraffic: deploymentHook,
                postRouteTraffic: deploymentHook,
                on: closed({ failure: deploymentHook, success: deploymentHook }),
            }),
            rolling: unchecked,
            canary: unchecked,
        }),
        steps: {
            type: "array",
            items: {
                anyOf: [
                    construct("task", { task: { type: "string", pattern: "^[A-Za-z0-9_.-]+@[0-9]+$" }, inputs: ref("stringDictionary"), ...stepCommon }),
                    shellStep("script"),
                    shellStep("bash"),
                    construct("checkout", {
                        checkout: string,
                        clean: boolean,
                        fetchDepth: scalar,
                        fetchFilter: string,
                        fetchTags: boolean,
                        lfs: boolean,
                        persistCredentials: boolean,
                        submodules: scalar,
                        path: string,
                        sparseCheckoutDirectories: string,
                        sparseCheckoutPatterns: string,
                        workspaceRepo: boolean,
                        ...stepCommon,
                    }),
                    // Step types the example does not use: accepted, not checked.
                    {
                        type: "object",
                        firstProperty: ["pwsh", "powershell", "download", "downloadBuild", "getPackage", "publish", "reviewApp", "template", "restoreCache", "saveCache"],
                    },
                ],
            },
        },
    },
};
