// govarchive's datasette pages, for reading. Works on text nodes only: nothing archived
// becomes markup.
document.addEventListener("DOMContentLoaded", () => {
  foldColumnDescriptions();
  titleArticlePage();
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
