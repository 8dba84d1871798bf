// govarchive's datasette pages, for reading. Works on text nodes only: nothing archived
// becomes markup.
document.addEventListener("DOMContentLoaded", () => {
  foldColumnDescriptions();
  titleArticlePage();
  snippetsOfSearchedBodies();
});

// A table's column descriptions, folded under one line, so its first rows are on the first screen.
function foldColumnDescriptions() {
  const list = document.querySelector("dl.column-descriptions");
  if (!list) return;
  const details = document.createElement("details");
  details.className = "ga-columns";
  const summary = document.createElement("summary");
  summary.textContent = "What each column holds";
  list.replaceWith(details);
  details.append(summary, list);
}

// An article's page is headed and titled by the article, and shows only the fields it has.
function titleArticlePage() {
  if (!document.body.classList.contains("row") || !document.body.classList.contains("table-articles")) return;
  const title = document.querySelector("td.col-title");
  const heading = document.querySelector("h1");
  if (title && heading && title.textContent.trim()) {
    const agency = document.querySelector("td.col-agency");
    heading.textContent = title.textContent.trim();
    document.title = heading.textContent + (agency ? " · " + agency.textContent.trim() : "");
  }
  document.querySelectorAll(".rows-and-columns td").forEach((cell) => {
    const text = cell.textContent.trim();
    if (text === "" || text === "[]") cell.classList.add("ga-empty");
  });
}

// On a table searched with the box (?_search=), show each body as a snippet around the
// first match, the match highlighted.
function snippetsOfSearchedBodies() {
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
}
