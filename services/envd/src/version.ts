/** Reported by Init; bump with services/envd/package.json. */
export const envdVersion = "0.1.0";
