// Arrow-key navigation between focusable elements by screen position, for TV remotes and
// keyboards. Inputs keep their arrow keys; pages can opt out with data-no-spatial on <body>.

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

type Dir = "left" | "right" | "up" | "down";
const KEYS: Record<string, Dir> = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };

function visible(el: Element, r: DOMRect): boolean {
  if (r.width === 0 && r.height === 0) return false;
  return !(el as HTMLElement).closest("[hidden], [inert], [aria-hidden='true']");
}

function best(from: DOMRect, dir: Dir, scope: ParentNode, current: Element | null): HTMLElement | null {
  const fx = from.left + from.width / 2;
  const fy = from.top + from.height / 2;
  let winner: HTMLElement | null = null;
  let score = Infinity;
  for (const el of scope.querySelectorAll<HTMLElement>(FOCUSABLE)) {
    if (el === current) continue;
    const r = el.getBoundingClientRect();
    if (!visible(el, r)) continue;
    const cx = r.left + r.width / 2;
    const cy = r.top + r.height / 2;
    let main: number, cross: number;
    switch (dir) {
      case "right": main = r.left - from.right; cross = Math.abs(cy - fy); if (cx <= fx + 1) continue; break;
      case "left": main = from.left - r.right; cross = Math.abs(cy - fy); if (cx >= fx - 1) continue; break;
      case "down": main = r.top - from.bottom; cross = Math.abs(cx - fx); if (cy <= fy + 1) continue; break;
      default: main = from.top - r.bottom; cross = Math.abs(cx - fx); if (cy >= fy - 1) continue; break;
    }
    // Prefer elements straight ahead; overlapping ones (main < 0) count as adjacent.
    const s = Math.max(main, 0) + cross * (dir === "left" || dir === "right" ? 3 : 1.2);
    if (s < score) { score = s; winner = el; }
  }
  return winner;
}

export function installSpatialNavigation() {
  document.addEventListener("keydown", (e) => {
    const el = document.activeElement;
    if (e.key === "Enter" && el instanceof HTMLSelectElement && !e.defaultPrevented) {
      try { el.showPicker(); e.preventDefault(); } catch { /* older browsers open it themselves */ }
      return;
    }
    const dir = KEYS[e.key];
    if (!dir || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (document.body.hasAttribute("data-no-spatial")) return;
    const active = document.activeElement as HTMLElement | null;
    if (active && active !== document.body) {
      const tag = active.tagName;
      const type = (active as HTMLInputElement).type;
      // A closed <select> would change its value with the arrows and trap a remote (which has
      // no Tab key): arrows move on, Enter opens its list (where the arrows are its own again).
      if (tag === "TEXTAREA") return;
      if (tag === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(type)) {
        // In a text field only Up/Down leave it.
        if (dir === "left" || dir === "right") return;
      }
      if (active.closest("[data-arrows='self']")) return; // widgets with their own arrow keys
    }
    // From nothing (or from a page container focused for screen readers, such as <main>),
    // start at the top-left corner of the screen — or at the bottom for Up.
    const fromNothing = !active || active === document.body || active.tabIndex < 0;
    const from = fromNothing ? new DOMRect(0, dir === "up" ? innerHeight : 0, 0, 0) : active.getBoundingClientRect();
    const target = best(from, dir, document, active);
    if (target) {
      e.preventDefault();
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "smooth" });
    }
  });
}
