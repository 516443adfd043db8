// Light and dark: the system's preference (prefers-color-scheme) until the
// user picks one with the header's toggle; the pick is kept in
// localStorage and set as data-theme on <html>, which styles.css reads.
import { useCallback, useEffect, useState } from "react";

export type Theme = "light" | "dark";
const storageKey = "kronos.theme";

function chosen(): Theme | null {
  try {
    const v = localStorage.getItem(storageKey);
    return v === "light" || v === "dark" ? v : null;
  } catch {
    return null;
  }
}

function system(): Theme {
  return typeof window.matchMedia === "function" && window.matchMedia("(prefers-color-scheme: dark)").matches
    ? "dark"
    : "light";
}

/** applyStoredTheme sets data-theme before the first render, so a chosen theme does not flash. */
export function applyStoredTheme(): void {
  const c = chosen();
  if (c) document.documentElement.dataset.theme = c;
}

/** useTheme returns the theme in effect and a toggle that remembers the other one. */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => chosen() ?? system());
  useEffect(() => {
    if (chosen() || typeof window.matchMedia !== "function") return;
    const mq = window.matchMedia("(prefers-color-scheme: dark)");
    const follow = () => {
      if (!chosen()) setTheme(mq.matches ? "dark" : "light");
    };
    mq.addEventListener("change", follow);
    return () => mq.removeEventListener("change", follow);
  }, []);
  const toggle = useCallback(() => {
    setTheme((t) => {
      const next: Theme = t === "dark" ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      try {
        localStorage.setItem(storageKey, next);
      } catch {
        // Not remembered; the toggle still holds for this page.
      }
      return next;
    });
  }, []);
  return [theme, toggle];
}
