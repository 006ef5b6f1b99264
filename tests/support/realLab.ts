// The set-up most specs of the real-CLI tier share: an emulator lab for the spec, and a RealProject
// pointed at it, one for the whole spec or a new one per test (the emulator then reset too).
// Registers mocha's hooks in the calling describe; read `lab` and `project` inside tests and hooks.
import { RealProject, RealProjectOptions } from "../../cli/realProject";
import { Lab, startLab } from "../../tools/lab";

/** The lab and the current project of a spec. */
export interface RealLab {
    readonly lab: Lab;
    readonly project: RealProject;
}

/** What {@link useRealLab} sets up. */
export interface RealLabOptions {
    /** "suite": one project for every test of the describe; "test": a new one (and a reset emulator) per test. */
    readonly per: "suite" | "test";
    /** The project's options. @default {} (type-checked, as a user runs it) */
    readonly project?: RealProjectOptions;
}

export function useRealLab(options: RealLabOptions): RealLab {
    let lab: Lab | undefined;
    let project: RealProject | undefined;
    const newProject = async (): Promise<void> => {
        project = await (lab as Lab).newRealProject(options.project);
    };
    before(async () => {
        lab = await startLab();
        if (options.per === "suite") {
            await newProject();
        }
    });
    if (options.per === "test") {
        beforeEach(async () => {
            lab?.emu.reset();
            await newProject();
        });
        afterEach(() => {
            project?.close();
            project = undefined;
        });
    }
    after(async () => {
        project?.close();
        await lab?.close();
    });
    return {
        get lab() {
            if (lab === undefined) throw new Error("useRealLab: the lab is started in before(); read it inside a test or hook");
            return lab;
        },
        get project() {
            if (project === undefined) throw new Error("useRealLab: the project is made in before()/beforeEach(); read it inside a test or hook");
            return project;
        },
    };
}
