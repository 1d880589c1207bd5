// The version of the host contract this component implements. The Python package checks it (doctor).
// 2: byte-bounded reads (truncated list text, getMessageText, getItemJson), large-item views
// 3: one job engine: deletion jobs report retry_wait; the deletion error is a registered coded error
export const CONTRACT_VERSION = 3;
export const COMPONENT_NAME = "codexConvex";
