// The version of the host contract this component implements. The Python package checks it (doctor).
export const CONTRACT_VERSION = 1;
export const COMPONENT_NAME = "codexConvex";
