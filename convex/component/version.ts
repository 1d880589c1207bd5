// The version of the host contract this component implements. The Python package checks it (doctor).
// 2: byte-bounded reads (truncated list text, getMessageText, getItemJson), large-item views
// 3: one job engine (deletion jobs report retry_wait); host presence (open/heartbeat/closeHostSession, `host` in the
//    conversation view and summary, hostSessionId on syncOpenConversationBinding, E_HOST_OFFLINE on answers)
export const CONTRACT_VERSION = 3;
export const COMPONENT_NAME = "codexConvex";
