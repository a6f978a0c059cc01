// A deliberately tiny Markdown subset for editorial reviews, safe by construction:
// the text is HTML-escaped FIRST, and only the tags below are ever produced.
//   paragraphs (blank-line separated), line breaks inside them, "- "/"* "/"1. " lists,
//   **strong**, *emphasis* / _emphasis_, [links](https://…) with http(s) URLs only.

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]);

function emphasis(s: string): string {
  return s
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, "<strong>$1</strong>")
    .replace(/__(?=\S)([\s\S]*?\S)__/g, "<strong>$1</strong>")
    .replace(/(^|[^*\w])\*(?=\S)([^*]*?\S)\*(?![*\w])/g, "$1<em>$2</em>")
    .replace(/(^|[^_\w])_(?=\S)([^_]*?\S)_(?![_\w])/g, "$1<em>$2</em>");
}

/** Inline markup on already-escaped text. */
function inline(escaped: string): string {
  const links: string[] = [];
  // [text](url) — the URL was escaped with the rest, so it cannot contain quotes or tags.
  const withPlaceholders = escaped.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (whole, text: string, url: string) => {
    if (!/^https?:\/\/[^\s]+$/i.test(url)) return whole;
    links.push(`<a href="${url}" target="_blank" rel="noopener noreferrer nofollow">${emphasis(text)}</a>`);
    return `\u0000${links.length - 1}\u0000`;
  });
  return emphasis(withPlaceholders).replace(/\u0000(\d+)\u0000/g, (_, i: string) => links[Number(i)]);
}

export function renderMarkdown(src: string): string {
  const text = escapeHtml(src.replace(/\r\n?/g, "\n").replace(/\u0000/g, ""));
  const out: string[] = [];
  const blocks = text.split(/\n[ \t]*\n+/);
  const bullet = /^\s*[-*+]\s+/;
  const numbered = /^\s*\d+[.)]\s+/;
  const heading = /^#{1,6}\s+/;
  for (const block of blocks) {
    const lines = block.split("\n").filter((l) => l.trim() !== "");
    // Consecutive lines of the same type form one element: a list, or a paragraph.
    let i = 0;
    while (i < lines.length) {
      const type = bullet.test(lines[i]) ? "ul" : numbered.test(lines[i]) ? "ol" : heading.test(lines[i]) ? "h" : "p";
      if (type === "h") { out.push(`<p><strong>${inline(lines[i].replace(heading, ""))}</strong></p>`); i++; continue; }
      const run: string[] = [];
      while (i < lines.length) {
        const l = lines[i];
        const t = bullet.test(l) ? "ul" : numbered.test(l) ? "ol" : heading.test(l) ? "h" : "p";
        if (t !== type) break;
        run.push(l);
        i++;
      }
      if (type === "p") out.push(`<p>${run.map((l) => inline(l.trim())).join("<br>")}</p>`);
      else {
        const marker = type === "ul" ? bullet : numbered;
        out.push(`<${type}>` + run.map((l) => `<li>${inline(l.replace(marker, ""))}</li>`).join("") + `</${type}>`);
      }
    }
  }
  return out.join("\n");
}
