// The player's settings panel: one column per choice (audio, subtitles, quality), each a group
// of radio buttons. Arrow keys move within a column (Up/Down) and between columns (Left/Right),
// Enter or Space picks, Escape closes — the same with a TV remote as with a keyboard.
import { h } from "../dom";

export interface Choice { value: string; label: string; detail?: string }
export interface MenuGroup {
  id: string;
  title: string;
  choices: Choice[];
  selected: string;
  onPick(value: string): void;
}

export class SettingsMenu {
  readonly panel: HTMLElement;
  private groups = new Map<string, { group: MenuGroup; section: HTMLElement }>();
  private body: HTMLElement;
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly button: HTMLButtonElement, private readonly onToggle: (open: boolean) => void) {
    this.body = h("div", { class: "menu-cols" });
    this.panel = h("div", { class: "player-menu", id: "player-menu", role: "dialog", "aria-label": "Audio, subtitles and quality", hidden: true, "data-arrows": "self" }, this.body);
    button.setAttribute("aria-haspopup", "dialog");
    button.setAttribute("aria-controls", "player-menu");
    button.setAttribute("aria-expanded", "false");
    button.hidden = true;
    button.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    this.panel.addEventListener("keydown", (e) => this.onKey(e));
  }

  get isOpen(): boolean { return !this.panel.hidden; }

  /** Adds or replaces a column; a group with fewer than two choices is shown only when `always`. */
  set(group: MenuGroup, always = false) {
    const old = this.groups.get(group.id);
    if (group.choices.length < (always ? 1 : 2)) {
      old?.section.remove();
      this.groups.delete(group.id);
    } else {
      const section = this.render(group);
      const focused = old?.section.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.value : undefined;
      if (old) old.section.replaceWith(section);
      // A column redrawn while in use keeps the focus on the same choice.
      if (focused !== undefined) section.querySelector<HTMLButtonElement>(`[data-value="${CSS.escape(focused)}"]`)?.focus();
      else this.body.append(section);
      this.groups.set(group.id, { group, section });
    }
    // Keep the column order stable: audio, subtitles, quality. Moving a column that holds the
    // focus drops it (to the page, where Escape means "leave the player"), so columns are moved
    // only when out of order, and the focus is put back.
    const order = ["audio", "subtitles", "quality"];
    const wanted = [...this.groups.values()].sort((a, b) => order.indexOf(a.group.id) - order.indexOf(b.group.id)).map((g) => g.section);
    if (wanted.some((section, i) => this.body.children[i] !== section)) {
      const active = document.activeElement;
      wanted.forEach((section) => this.body.append(section));
      if (active instanceof HTMLElement && active !== document.activeElement && this.panel.contains(active)) active.focus();
    }
    this.button.hidden = this.groups.size === 0;
  }

  /** Marks `value` as the selected choice of a column (when the player changed it itself). */
  select(id: string, value: string) {
    const g = this.groups.get(id);
    if (!g) return;
    g.group.selected = value;
    for (const b of g.section.querySelectorAll<HTMLButtonElement>("[role=radio]")) {
      const on = b.dataset.value === value;
      b.setAttribute("aria-checked", String(on));
      b.tabIndex = on ? 0 : -1;
    }
  }

  open() {
    if (this.groups.size === 0) return;
    this.returnFocus = document.activeElement as HTMLElement | null;
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.onToggle(true);
    const first = this.panel.querySelector<HTMLButtonElement>("[role=radio][aria-checked=true]") ?? this.panel.querySelector<HTMLButtonElement>("[role=radio]");
    first?.focus();
  }

  close(restoreFocus = true) {
    if (!this.isOpen) return;
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    this.onToggle(false);
    if (restoreFocus) (this.returnFocus?.isConnected ? this.returnFocus : this.button).focus();
  }

  private render(g: MenuGroup): HTMLElement {
    const headingId = `menu-${g.id}-h`;
    const list = h("div", { class: "menu-options", role: "radiogroup", "aria-labelledby": headingId },
      g.choices.map((c) => {
        const on = c.value === g.selected;
        const b = h("button", { type: "button", role: "radio", class: "menu-option", "aria-checked": String(on), tabindex: on ? "0" : "-1", "data-value": c.value },
          h("span", { class: "menu-check", "aria-hidden": "true" }),
          h("span", { class: "menu-label" }, c.label, c.detail ? h("span", { class: "menu-detail" }, c.detail) : null));
        b.addEventListener("click", () => {
          this.select(g.id, c.value);
          g.onPick(c.value);
        });
        return b;
      }));
    return h("section", { class: "menu-col", "data-group": g.id }, h("h3", { id: headingId }, g.title), list);
  }

  private onKey(e: KeyboardEvent) {
    const t = e.target as HTMLElement;
    const col = t.closest<HTMLElement>(".menu-col");
    if (e.key === "Escape" || e.key === "Backspace" || e.key === "BrowserBack") {
      this.close();
    } else if (col && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      const opts = [...col.querySelectorAll<HTMLButtonElement>("[role=radio]")];
      const i = opts.indexOf(t as HTMLButtonElement);
      opts[Math.max(0, Math.min(opts.length - 1, i + (e.key === "ArrowDown" ? 1 : -1)))]?.focus();
    } else if (col && (e.key === "ArrowLeft" || e.key === "ArrowRight")) {
      const cols = [...this.body.querySelectorAll<HTMLElement>(".menu-col")];
      const next = cols[cols.indexOf(col) + (e.key === "ArrowRight" ? 1 : -1)];
      (next?.querySelector<HTMLButtonElement>("[role=radio][aria-checked=true]") ?? next?.querySelector<HTMLButtonElement>("[role=radio]"))?.focus();
    } else if (e.key === "Tab") {
      // Keep focus inside the open panel.
      const all = [...this.panel.querySelectorAll<HTMLButtonElement>("[role=radio][tabindex='0']")];
      const i = all.indexOf(t as HTMLButtonElement);
      all[(i + (e.shiftKey ? -1 : 1) + all.length) % all.length]?.focus();
    } else {
      return; // Enter and Space click the focused button by themselves.
    }
    e.preventDefault();
    e.stopPropagation();
  }
}
