/**
 * The `envdVersion` every sandbox reports on the E2B face. The SDKs switch
 * features on by this number (stdin from 0.3.0, the default user from 0.4.0,
 * closeStdin from 0.5.2, octet-stream uploads from 0.5.7, file metadata from
 * 0.6.2), so it is the newest version whose features the face implements,
 * never a higher one: raise it only together with the feature it gates.
 */
export const reportedEnvdVersion = "0.5.7";
