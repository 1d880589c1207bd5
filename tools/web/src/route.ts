/** The page's place, in the URL's hash: `#/c/<conversationId>` (a conversation) or `#/jobs`; empty: the list. */
import { useEffect, useState } from "react";

export type Route = { page: "list" } | { page: "conversation"; conversationId: string } | { page: "jobs" };

export function parseRoute(hash: string): Route {
  const m = /^#\/c\/([^/?#]+)$/.exec(hash);
  if (m) return { page: "conversation", conversationId: decodeURIComponent(m[1]) };
  if (hash === "#/jobs") return { page: "jobs" };
  return { page: "list" };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

export const conversationHref = (id: string) => `#/c/${encodeURIComponent(id)}`;
