// The copy and export actions of answers and of the conversation (ui/render.py writes them).
// Each action reads the text of a hidden <pre class="export export-KIND" title="FILE NAME"> beside
// it: Markdown or BibTeX written by the library (rag.answer_markdown, rag.answer_bibtex,
// rag.conversation_markdown), HTML-escaped in the page, so textContent gives it back exactly.
(() => {
  const ACTIONS = {
    "copy-md": ["md", "copy"],
    "download-md": ["md", "download"],
    "download-bib": ["bib", "download"],
    "copy-conversation": ["conversation", "copy"],
    "download-conversation": ["conversation", "download"],
  };
  const MIME = { md: "text/markdown", conversation: "text/markdown", bib: "application/x-bibtex" };

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    // Served over plain http on another host (rag serve --auth): no async clipboard there.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }

  function downloadText(text, name, type) {
    const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
    const anchor = document.createElement("a");
    anchor.href = url;
    anchor.download = name;
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function flashLabel(link, text) {
    if (!link.dataset.label) link.dataset.label = link.textContent;
    link.textContent = text;
    clearTimeout(link.labelTimer);
    link.labelTimer = setTimeout(() => { link.textContent = link.dataset.label; }, 1500);
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.action");
    if (!link) return;
    const action = Object.keys(ACTIONS).find((name) => link.classList.contains(name));
    if (!action) return;
    event.preventDefault();
    event.stopPropagation();
    const [kind, verb] = ACTIONS[action];
    const holder = link.closest(".answer, .conversation-actions");
    const source = holder && holder.querySelector(`pre.export-${kind}`);
    if (!source) return;
    if (verb === "copy") {
      copyText(source.textContent).then(
        () => flashLabel(link, "Copied ✓"),
        () => flashLabel(link, "Copy failed"),
      );
    } else {
      downloadText(source.textContent, source.title || `${kind}.md`, MIME[kind]);
    }
  }, true);
})();
