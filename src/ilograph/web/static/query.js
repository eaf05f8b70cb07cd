/* The query page of ilograph's SPARQL service. No framework and nothing fetched from elsewhere.
 *
 * Runs the editor's query by POSTing it to the endpoint, and draws the SPARQL JSON results (or the
 * JSON-LD of a CONSTRUCT or DESCRIBE) as a table with DOM methods: every value is set with
 * textContent, never parsed as HTML. IRIs under the dataset's base link to their pages, other
 * http(s) IRIs are plain links, anything else is text. Ctrl+Enter (or Cmd+Enter) runs the query;
 * the editor's text is kept in localStorage and in the address (so a reload shows the result).
 * Without this script the form still works: it submits to /sparql?format=html, drawn by the server.
 */
(function () {
  "use strict";

  var root = document.getElementById("query-page");
  var form = document.getElementById("query-form");
  var editor = document.getElementById("query");
  var results = document.getElementById("results");
  var status = document.getElementById("query-status");
  if (!root || !form || !editor || !results || !window.fetch || !window.URLSearchParams) {
    return;
  }

  var endpoint = root.getAttribute("data-endpoint") || "/sparql";
  var base = root.getAttribute("data-base") || "";
  var prefixes = parse(root.getAttribute("data-prefixes"), {});
  var words = parse(root.getAttribute("data-words"), {});
  var displayLimit = parseInt(root.getAttribute("data-display-limit") || "2000", 10);
  var maxRows = root.getAttribute("data-max-rows") || "";
  var namespaces = Object.keys(prefixes).map(function (p) { return [p, prefixes[p]]; })
    .sort(function (a, b) { return b[1].length - a[1].length; });
  var KEY = "ilograph.query";
  var XSD_STRING = "http://www.w3.org/2001/XMLSchema#string";
  var LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";
  var RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
  var CLICKABLE = /^https?:\/\/[^\s<>"{}|\\^`\u0000-\u001f\u007f]+$/i;
  var LANG_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
  var DOWNLOADS = {
    select: [["json", "JSON", "srj"], ["xml", "XML", "srx"], ["csv", "CSV", "csv"], ["tsv", "TSV", "tsv"]],
    ask: [["json", "JSON", "srj"], ["xml", "XML", "srx"]],
    graph: [["turtle", "Turtle", "ttl"], ["ntriples", "N-Triples", "nt"], ["jsonld", "JSON-LD", "jsonld"],
            ["rdfxml", "RDF/XML", "rdf"]]
  };
  var running = null;

  function parse(text, fallback) {
    try { return JSON.parse(text || ""); } catch (e) { return fallback; }
  }

  function word(key, values) {
    var text = words[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(values[name]));
    });
    return text;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function say(text) {
    if (status) { status.textContent = text || ""; }
  }

  // --- keeping the editor's text ----------------------------------------------------------------

  function save() {
    try { window.localStorage.setItem(KEY, editor.value); } catch (e) { /* storage may be off */ }
  }

  if (!root.hasAttribute("data-has-query")) {
    try {
      var kept = window.localStorage.getItem(KEY);
      if (kept && kept.trim()) { editor.value = kept; }
    } catch (e) { /* storage may be off */ }
  }
  editor.addEventListener("input", save);

  function remember(query) {
    if (!window.history || !window.history.replaceState || query.length > 6000) { return; }
    var params = new URLSearchParams(window.location.search);
    var next = new URLSearchParams();
    next.set("query", query);
    next.set("format", "html");
    if (params.get("lang")) { next.set("lang", params.get("lang")); }
    window.history.replaceState(null, "", window.location.pathname + "?" + next.toString());
  }

  // --- terms --------------------------------------------------------------------------------

  function curie(iri) {
    for (var i = 0; i < namespaces.length; i++) {
      var ns = namespaces[i][1];
      if (iri.lastIndexOf(ns, 0) === 0) {
        var local = iri.slice(ns.length);
        if (local && /^[A-Za-z0-9_.\-]+$/.test(local)) { return namespaces[i][0] + ":" + local; }
      }
    }
    return iri;
  }

  /* Where a link to an IRI points, or null: the dataset's own IRIs go to their pages here. */
  function href(iri) {
    if (!CLICKABLE.test(iri)) { return null; }
    if (base && iri.lastIndexOf(base, 0) === 0) { return "/" + iri.slice(base.length); }
    return iri;
  }

  function iriCell(iri) {
    var td = el("td", "iri");
    var target = href(iri);
    var node = el(target ? "a" : "span", null, curie(iri));
    if (target) { node.href = target; }
    node.title = iri;
    td.appendChild(node);
    return td;
  }

  function literalCell(value, lang, datatype) {
    var td = el("td", "literal");
    var text = el("bdi", null, value);
    if (lang && LANG_TAG.test(lang)) { text.lang = lang; }
    td.appendChild(text);
    var note = lang ? "@" + lang : (datatype && datatype !== XSD_STRING && datatype !== LANG_STRING ? curie(datatype) : "");
    if (note) {
      td.appendChild(document.createTextNode(" "));
      td.appendChild(el("span", "datatype", note));
    }
    return td;
  }

  /* A cell from a SPARQL JSON term. */
  function termCell(term) {
    if (!term) { return el("td", "unbound"); }
    if (term.type === "uri") { return iriCell(String(term.value)); }
    if (term.type === "bnode") { return el("td", "bnode", "_:" + term.value); }
    if (term.type === "literal" || term.type === "typed-literal") {
      return literalCell(String(term.value), term["xml:lang"], term.datatype);
    }
    return el("td", "triple", JSON.stringify(term.value));
  }

  /* A cell from a JSON-LD node reference or value. */
  function nodeCell(node) {
    if (typeof node === "string") { return node.lastIndexOf("_:", 0) === 0 ? el("td", "bnode", node) : iriCell(node); }
    if (node && typeof node["@id"] === "string") { return nodeCell(node["@id"]); }
    if (node && node["@value"] !== undefined) {
      return literalCell(String(node["@value"]), node["@language"], node["@type"]);
    }
    return el("td", "triple", JSON.stringify(node));
  }

  /* The triples of a JSON-LD document (expanded, as the service writes it) as [s, p, o] rows. */
  function triples(doc) {
    var rows = [];
    var nodes = Array.isArray(doc) ? doc : (doc && doc["@graph"]) || (doc ? [doc] : []);
    nodes.forEach(function (node) {
      if (!node || typeof node !== "object") { return; }
      if (Array.isArray(node["@graph"])) { rows = rows.concat(triples(node["@graph"])); }
      var subject = node["@id"] || "_:";
      Object.keys(node).forEach(function (key) {
        if (key === "@type") {
          [].concat(node[key]).forEach(function (t) { rows.push([subject, RDF_TYPE, { "@id": t }]); });
        } else if (key.charAt(0) !== "@") {
          [].concat(node[key]).forEach(function (o) { rows.push([subject, key, o]); });
        }
      });
    });
    return rows;
  }

  // --- results ------------------------------------------------------------------------------

  function clear() {
    while (results.firstChild) { results.removeChild(results.firstChild); }
  }

  function downloads(kind, query) {
    var p = el("p", "downloads", word("download") + " ");
    DOWNLOADS[kind].forEach(function (entry, index) {
      if (index) { p.appendChild(document.createTextNode(" · ")); }
      var params = new URLSearchParams();
      params.set("query", query);
      params.set("format", entry[0]);
      var a = el("a", null, entry[1]);
      a.href = endpoint + "?" + params.toString();
      a.setAttribute("download", "result." + entry[2]);
      p.appendChild(a);
    });
    return p;
  }

  function table(headings, rows, cellOf) {
    var wrap = el("div", "table-wrap");
    var t = el("table", "results");
    var head = el("thead");
    var tr = el("tr");
    var hash = el("th", "num", "#");
    hash.scope = "col";
    tr.appendChild(hash);
    headings.forEach(function (h) {
      var th = el("th", null, h);
      th.scope = "col";
      tr.appendChild(th);
    });
    head.appendChild(tr);
    t.appendChild(head);
    var body = el("tbody");
    rows.slice(0, displayLimit).forEach(function (row, index) {
      var line = el("tr");
      line.appendChild(el("td", "num", String(index + 1)));
      row.forEach(function (value) { line.appendChild(cellOf(value)); });
      body.appendChild(line);
    });
    t.appendChild(body);
    wrap.appendChild(t);
    return wrap;
  }

  function show(query, response, data, elapsed) {
    clear();
    results.appendChild(el("h2", null, word("results")));
    var truncated = response.headers.get("X-Ilograph-Truncated") === "true";
    var kind, headings, rows, cellOf;
    if (data && typeof data.boolean === "boolean") {
      kind = "ask";
      results.appendChild(el("p", "boolean " + String(data.boolean), word(data.boolean ? "yes" : "no")));
    } else if (data && data.head && data.results) {
      kind = "select";
      var names = data.head.vars || [];
      headings = names.map(function (n) { return "?" + n; });
      rows = (data.results.bindings || []).map(function (b) { return names.map(function (n) { return b[n]; }); });
      cellOf = termCell;
    } else {
      kind = "graph";
      headings = [word("subject"), word("predicate"), word("object")];
      rows = triples(data);
      cellOf = function (v) { return nodeCell(v); };
    }
    if (kind !== "ask") {
      var count = kind === "graph" ? word("triples", { n: rows.length })
        : (rows.length === 1 ? word("one_row") : word("rows", { n: rows.length }));
      results.appendChild(el("p", "summary", count + " · " + word("took", { ms: elapsed })));
    }
    if (truncated) {
      results.appendChild(el("p", "truncated", word("truncated", { rows: response.headers.get("X-Ilograph-Max-Rows") || maxRows })));
    }
    if (rows && rows.length > displayLimit) {
      results.appendChild(el("p", "shown", word("shown", { shown: displayLimit })));
    }
    results.appendChild(downloads(kind, query));
    if (kind !== "ask") {
      results.appendChild(rows.length ? table(headings, rows, cellOf) : el("p", "empty", word("empty")));
    }
  }

  function fail(statusCode, message) {
    clear();
    results.appendChild(el("h2", null, word("results")));
    var p = el("p", "error-status");
    if (statusCode) {
      p.appendChild(el("strong", null, String(statusCode)));
      p.appendChild(document.createTextNode(" "));
    }
    p.appendChild(document.createTextNode(statusCode ? word("error") : word("failed")));
    results.appendChild(p);
    results.appendChild(el("pre", "query-error", message));
  }

  function run() {
    var query = editor.value;
    if (!query.trim()) { editor.focus(); return; }
    save();
    remember(query);
    if (running) { running.abort(); }
    var controller = window.AbortController ? new AbortController() : null;
    running = controller;
    var started = Date.now();
    var body = new URLSearchParams();
    body.set("query", query);
    root.setAttribute("aria-busy", "true");
    say(word("running"));
    fetch(endpoint, {
      method: "POST",
      headers: {
        "Accept": "application/sparql-results+json, application/ld+json;q=0.9",
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"
      },
      body: body.toString(),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        return response.text().then(function (text) { fail(response.status, text); });
      }
      return response.json().then(function (data) { show(query, response, data, Date.now() - started); });
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      fail(0, String(error && error.message ? error.message : error));
    }).then(function () {
      if (running === controller) {
        running = null;
        root.removeAttribute("aria-busy");
        say("");
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll("a[data-example]"), function (link) {
    link.addEventListener("click", function (event) {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
      event.preventDefault();
      var text = new URL(link.href, window.location.href).searchParams.get("query");
      if (text === null) { return; }
      editor.value = text;
      save();
      editor.focus();
      say(word("loaded"));
    });
  });
})();
