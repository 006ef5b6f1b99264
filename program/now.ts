// The instant the program plans for. In an update: the directory's clock (Microsoft Entra's, read
// from one Graph answer), the same clock that decides what has expired. In a preview it may be
// `addin-credentials:planningTime`, to rehearse a future run; an update refuses it, because
// `pulumi preview -c planningTime=…` writes it to the stack file, where the next `pulumi up`
// would find it and plan for the future (remove generations still in use).
import * as pulumi from "@pulumi/pulumi";
import { parseInstant, readDirectoryClock } from "addin-credentials";
import { ConfigError } from "./configError";

/** The config key of the rehearsal instant. */
export const PLANNING_TIME_KEY = "addin-credentials:planningTime";

/**
 * Refuses `planningTime` in an update.
 * @throws ConfigError naming the key, the value and the fix when `planningTime` is set in an update.
 */
export function checkPlanningTime(planningTime: string | undefined): void {
    if (planningTime !== undefined && planningTime !== "" && !pulumi.runtime.isDryRun()) {
        throw new ConfigError(
            `Config ${PLANNING_TIME_KEY} is "${planningTime}": it rehearses a future run in a preview only, and an update plans for now. ` +
                "Remove it from the stack file: pulumi config rm planningTime (a pulumi preview -c planningTime=… saved it there).",
        );
    }
}

/**
 * The planning instant: `planningTime` in a preview when it is set, else the directory's clock
 * (a Graph read about `clientId`).
 * @throws ConfigError as {@link checkPlanningTime} does.
 */
export async function planningInstant(planningTime: string | undefined, clientId: string): Promise<Date> {
    checkPlanningTime(planningTime);
    if (planningTime !== undefined && planningTime !== "") {
        // parseAddIns has checked it (INSTANT_EXAMPLES); an instant without a time zone never gets here.
        return new Date(parseInstant(planningTime) ?? Number.NaN);
    }
    return readDirectoryClock(clientId);
}
