// On a table searched with the box (?_search=), show each body as a snippet around the
// first match, the match highlighted. Works on text nodes only: nothing archived becomes markup.
document.addEventListener("DOMContentLoaded", () => {
  const query = new URLSearchParams(window.location.search).get("_search");
  if (!query || !document.body.classList.contains("table")) return;
  const terms = query.split(/\s+/).filter((t) => t.length > 0);
  const context = 60;
  document.querySelectorAll(".ga-body").forEach((cell) => {
    const text = cell.textContent;
    const lower = text.toLowerCase();
    let at = -1, found = "";
    for (const term of terms) {
      const i = lower.indexOf(term.toLowerCase());
      if (i >= 0 && (at < 0 || i < at)) { at = i; found = text.substr(i, term.length); }
    }
    if (at < 0) return;
    const start = Math.max(0, at - context), end = Math.min(text.length, at + found.length + context);
    const snippet = document.createElement("div");
    snippet.className = "ga-snippet";
    snippet.append((start > 0 ? "…" : "") + text.slice(start, at));
    const mark = document.createElement("mark");
    mark.textContent = found;
    snippet.append(mark, text.slice(at + found.length, end) + (end < text.length ? "…" : ""));
    cell.replaceChildren(snippet);
  });
});
