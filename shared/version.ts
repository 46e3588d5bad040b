/** Producer identity recorded in evidence statements. Keep in step with package.json. */
export const SERVICE_NAME = "telemetry-bridge";
export const SERVICE_VERSION = "0.1.0";
