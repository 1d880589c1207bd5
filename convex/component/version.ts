// The version of the host contract this component implements. The Python package checks it (doctor).
export const CONTRACT_VERSION = 2; // 2: byte-bounded reads (truncated list text, getMessageText, getItemJson), large-item views
export const COMPONENT_NAME = "codexConvex";
