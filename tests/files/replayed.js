// What a ReplayWeb.page embed shows, through its shadow roots and frames: whether `text` is on
// the replayed page, and whether an image whose address holds `image` has loaded.
const [text, image] = arguments;
const seen = { text: false, image: false };
function walk(root, depth) {
  if (!root || depth > 12) return;
  if (root.body && root.body.innerText.includes(text)) seen.text = true;
  for (const node of root.querySelectorAll("*")) {
    if (node.tagName === "IMG" && node.src.includes(image) && node.complete && node.naturalWidth > 0) seen.image = true;
    if (node.shadowRoot) walk(node.shadowRoot, depth + 1);
    if (node.tagName === "IFRAME") {
      try { walk(node.contentDocument, depth + 1); } catch (error) { /* another origin */ }
    }
  }
}
walk(document, 0);
return seen;
