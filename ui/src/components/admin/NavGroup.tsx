import { useEffect, useRef } from "react";

import { Link } from "../../lib/router";

/**
 * NavGroup is a part of the header's nav folded under one label (a native
 * <details> disclosure: Enter or Space opens it, Tab walks its links), so
 * the header stays one line at phone width. It closes on navigation, on
 * Escape and on a click elsewhere.
 */
export function NavGroup({
  label,
  entries,
  path,
}: {
  label: string;
  entries: { path: string; label: string }[];
  path: string;
}) {
  const ref = useRef<HTMLDetailsElement>(null);
  const current = entries.some((e) => path.startsWith(e.path));

  useEffect(() => {
    if (ref.current) ref.current.open = false;
  }, [path]);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const onClick = (e: MouseEvent) => {
      if (d.open && e.target instanceof Node && !d.contains(e.target)) d.open = false;
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && d.open) {
        d.open = false;
        d.querySelector("summary")?.focus();
      }
    };
    document.addEventListener("click", onClick);
    d.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("click", onClick);
      d.removeEventListener("keydown", onKey);
    };
  }, []);

  if (entries.length === 0) return null;
  return (
    <details ref={ref} className="nav-group">
      <summary className={current ? "nav-group-current" : undefined}>{label}</summary>
      <div className="nav-menu">
        {entries.map((e) => (
          <Link key={e.path} to={e.path} aria-current={path.startsWith(e.path) ? "page" : undefined}>
            {e.label}
          </Link>
        ))}
      </div>
    </details>
  );
}
