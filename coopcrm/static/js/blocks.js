// The block editor (templates/blocks/_editor.html). A referent adds, removes and reorders
// blocks; paragraphs and headings are edited with Quill (static/vendor/quill), placeholders
// are picked from a menu and inserted as tokens, images are uploaded as soon as they are
// chosen. On every change the document goes, as JSON, into the form's hidden field; the
// server checks all of it again (coopcrm/blocks/document.py). No build step, no inline
// script or style: the Content-Security-Policy allows neither.
(function () {
  "use strict";

  var editors = document.querySelectorAll("[data-block-editor]");
  if (!editors.length || typeof window.Quill === "undefined") { return; }
  var Quill = window.Quill;
  var Delta = Quill.import("delta");
  var Embed = Quill.import("blots/embed");
  var Link = Quill.import("formats/link");
  var LABELS = {};  // placeholder name -> French label, from the editors' menus

  // -- Quill: the placeholder token, links ------------------------------------------------

  class PlaceholderBlot extends Embed {
    static create(name) {
      var node = super.create(name);
      node.setAttribute("data-placeholder", name);
      node.textContent = LABELS[name] || name;
      return node;
    }
    static value(node) { return node.getAttribute("data-placeholder"); }
  }
  PlaceholderBlot.blotName = "placeholder";
  PlaceholderBlot.tagName = "SPAN";
  PlaceholderBlot.className = "ql-placeholder";
  Quill.register(PlaceholderBlot);

  // Only web and email addresses; "www.exemple.fr" and "nom@exemple.fr" are completed.
  Link.PROTOCOL_WHITELIST = ["http", "https", "mailto"];
  var sanitizeLink = Link.sanitize;
  Link.sanitize = function (url) {
    url = String(url || "").trim();
    if (/^[^\s@:/]+@[^\s@/]+\.[^\s@/]+$/.test(url)) { url = "mailto:" + url; }
    else if (/^[^\s:/@]+\.[^\s@]+$/.test(url)) { url = "https://" + url; }
    return sanitizeLink.call(this, url);
  };

  // Tab leaves the editor (keyboard users must get out of it); lists are not indented.
  var NO_TAB = {tab: false, indent: false, outdent: false, "remove tab": false,
                "table tab": false, "indent code-block": false, "outdent code-block": false};

  function escapeHtml(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  // The Quill document as the small HTML the server keeps (p, ul, ol, li, strong, em, a, br,
  // placeholder spans); `inline`: one line of text and placeholders (a heading).
  function deltaToHtml(delta, inline) {
    function run(ops) {
      return ops.map(function (op) {
        if (typeof op.insert !== "string") {
          var name = op.insert && op.insert.placeholder;
          return name ? '<span data-placeholder="' + escapeHtml(name) + '"></span>' : "";
        }
        var attrs = inline ? {} : (op.attributes || {});
        var html = escapeHtml(op.insert);
        if (attrs.italic) { html = "<em>" + html + "</em>"; }
        if (attrs.bold) { html = "<strong>" + html + "</strong>"; }
        if (attrs.link) { html = '<a href="' + escapeHtml(attrs.link) + '">' + html + "</a>"; }
        return html;
      }).join("");
    }
    var lines = [];
    delta.eachLine(function (line, attributes) { lines.push({html: run(line.ops), list: attributes.list}); });
    if (inline) {
      return lines.map(function (l) { return l.html; }).filter(Boolean).join(" ");
    }
    var html = "", open = null;
    lines.forEach(function (line) {
      var tag = line.list === "ordered" ? "ol" : (line.list ? "ul" : null);
      if (tag !== open) {
        if (open) { html += "</" + open + ">"; }
        if (tag) { html += "<" + tag + ">"; }
        open = tag;
      }
      if (tag) { html += "<li>" + line.html + "</li>"; }
      else if (line.html.replace(/\s|&nbsp;/g, "")) { html += "<p>" + line.html + "</p>"; }
    });
    if (open) { html += "</" + open + ">"; }
    return html;
  }

  // -- small DOM helpers ---------------------------------------------------------------

  var counter = 0;
  function uid(prefix) { counter += 1; return "be-" + prefix + "-" + counter; }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (attrs[key] !== null && attrs[key] !== undefined) { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function button(text, label, handler, extraClass) {
    var b = el("button", {type: "button", class: "block-control " + (extraClass || ""),
                          "aria-label": label || null, text: text});
    b.addEventListener("click", handler);
    return b;
  }

  function field(labelText, input, hint) {
    var id = input.id || uid("f");
    input.id = id;
    var children = [el("label", {for: id, text: labelText})];
    if (hint) {
      var hintId = uid("hint");
      input.setAttribute("aria-describedby", hintId);
      children.push(el("p", {id: hintId, class: "muted block-hint", text: hint}));
    }
    children.push(input);
    return el("div", {class: "field"}, children);
  }

  // -- one editor ----------------------------------------------------------------------

  function BlockEditor(root) {
    var self = this;
    this.root = root;
    this.form = root.closest("form");
    this.input = document.getElementById(root.dataset.input);
    this.menu = JSON.parse(root.dataset.placeholders || "[]");
    this.menu.forEach(function (p) { LABELS[p.name] = p.label; });
    this.errors = JSON.parse(root.dataset.errors || "{}");
    this.contact = JSON.parse(root.dataset.contact || "{}");
    this.uploadUrl = root.dataset.uploadUrl;
    this.maxBytes = Number(root.dataset.maxBytes) || 0;
    this.list = root.querySelector("[data-blocks]");
    this.announcer = root.querySelector("[data-announce]");
    this.blocks = [];
    var doc, unreadable = false;
    try { doc = JSON.parse(this.input.value || "{}"); } catch (e) { doc = {}; unreadable = true; }
    (Array.isArray(doc.blocks) ? doc.blocks : []).forEach(function (data) {
      if (data && TYPES[data.type]) { self.add(data.type, data, false); }
    });
    this.node = root;
    this.renderAddBar(root.querySelector("[data-add]"), TOP_TYPES, function (type) {
      var block = self.add(type, {}, true);
      block.focus();
    });
    this.renumber();
    if (unreadable) {  // keep what the field holds: saving now would replace it with nothing
      this.list.before(el("p", {class: "error", role: "alert",
                                text: "Le contenu n'a pas pu être lu : rechargez la page avant de le modifier."}));
    } else {
      this.save();
    }
    if (this.form) {
      this.form.addEventListener("submit", function (event) {
        if (self.uploading()) {  // saved now, the image block would have no image
          event.preventDefault();
          self.announce("Attendez la fin de l'envoi de l'image, puis enregistrez.");
          return;
        }
        self.save();
      });
    }
  }

  BlockEditor.prototype.announce = function (text) {
    if (this.announcer) { this.announcer.textContent = text; }
  };

  BlockEditor.prototype.uploading = function () {
    return Array.prototype.some.call(this.root.querySelectorAll("section.block"), function (node) {
      return node.dataset.uploading === "1";
    });
  };

  BlockEditor.prototype.csrf = function () {
    var token = this.form && this.form.querySelector('input[name="csrf_token"]');
    return token ? token.value : "";
  };

  BlockEditor.prototype.save = function () {
    this.input.value = JSON.stringify({version: 1, blocks: this.blocks.map(function (b) { return b.value(); })});
  };

  BlockEditor.prototype.renderAddBar = function (container, types, onAdd) {
    types.forEach(function (type) {
      container.appendChild(button("+ " + TYPES[type].label, "Ajouter un bloc : " + TYPES[type].label,
                                   function () { onAdd(type); }));
    });
  };

  BlockEditor.prototype.add = function (type, data, announce) {
    var block = new Block(this, this.blocks, this.list, type, data);
    if (announce) {
      this.renumber();
      this.save();
      this.announce("Bloc « " + TYPES[type].label + " » ajouté en position " + this.blocks.length + ".");
    }
    return block;
  };

  BlockEditor.prototype.renumber = function () {
    var self = this;
    this.blocks.forEach(function (block, i) {
      block.number(i + 1, self.blocks.length, "Bloc " + (i + 1));
      var message = self.errors["body-" + (i + 1)];
      if (message && !block.shownError) { block.showError(message); }
    });
    this.errors = {};  // shown once, on the blocks they were about
  };

  // -- a block (top level or inside a column) ------------------------------------------

  function Block(editor, siblings, container, type, data) {
    var self = this;
    this.editor = editor;
    this.siblings = siblings;
    this.type = type;
    this.data = Object.assign({}, data || {});
    this.titleId = uid("title");
    this.title = el("h3", {id: this.titleId, class: "block-title"});
    this.up = button("↑ Monter", null, function () { self.move(-1); });
    this.down = button("↓ Descendre", null, function () { self.move(1); });
    this.remove = button("Retirer", null, function () { self.drop(); }, "danger");
    this.errorBox = el("p", {class: "error", role: "alert", hidden: ""});
    var header = el("div", {class: "block-header"}, [this.title, el("div", {class: "block-controls"}, [this.up, this.down, this.remove])]);
    this.body = el("div", {class: "block-body"});
    this.node = el("section", {class: "block block-" + type, "aria-labelledby": this.titleId},
                   [header, this.errorBox, this.body]);
    siblings.push(this);
    container.appendChild(this.node);
    this.parts = TYPES[type].build.call(this, this.data);
  }

  Block.prototype.changed = function () { this.editor.save(); };

  Block.prototype.value = function () {
    return Object.assign({type: this.type}, this.parts.value());
  };

  Block.prototype.focus = function () {
    var target = this.parts.focusTarget ? this.parts.focusTarget() : this.body.querySelector("input, textarea, select, button, [contenteditable]");
    if (target) { target.focus(); }
  };

  Block.prototype.number = function (n, count, name) {
    this.name = name;
    var label = TYPES[this.type].label;
    this.title.textContent = name + " · " + label;
    this.up.setAttribute("aria-label", "Monter : " + name + " (" + label + ")");
    this.down.setAttribute("aria-label", "Descendre : " + name + " (" + label + ")");
    this.remove.setAttribute("aria-label", "Retirer : " + name + " (" + label + ")");
    this.up.disabled = n === 1;
    this.down.disabled = n === count;
  };

  Block.prototype.showError = function (message) {
    this.shownError = true;
    this.errorBox.textContent = message;
    this.errorBox.hidden = false;
  };

  Block.prototype.owner = function () { return this.parentBlock || this.editor; };

  Block.prototype.move = function (step) {
    var i = this.siblings.indexOf(this), j = i + step;
    if (j < 0 || j >= this.siblings.length) { return; }
    var other = this.siblings[j];
    this.siblings[i] = other;
    this.siblings[j] = this;
    var parent = this.node.parentNode;
    if (step < 0) { parent.insertBefore(this.node, other.node); }
    else { parent.insertBefore(other.node, this.node); }
    this.owner().renumber();
    this.editor.save();
    var keep = step < 0 ? (this.up.disabled ? this.down : this.up) : (this.down.disabled ? this.up : this.down);
    keep.focus();
    this.editor.announce(TYPES[this.type].label + " déplacé en position " + (j + 1) + ".");
  };

  Block.prototype.drop = function () {
    if (this.hasContent() && !window.confirm("Retirer ce bloc et son contenu ?")) { return; }
    var i = this.siblings.indexOf(this);
    this.siblings.splice(i, 1);
    this.node.remove();
    this.owner().renumber();
    this.editor.save();
    var next = this.siblings[i] || this.siblings[i - 1];
    if (next) { next.remove.focus(); }
    else { this.owner().node.querySelector(this.parentBlock ? ".block-add button" : "[data-add] button").focus(); }
    this.editor.announce(TYPES[this.type].label + " retiré.");
  };

  Block.prototype.hasContent = function () {
    var v = this.parts.value();
    return Object.keys(v).some(function (k) {
      var x = v[k];
      return typeof x === "string" ? x.replace(/<[^>]*>/g, "").trim() !== "" || /data-placeholder/.test(x) : (Array.isArray(x) ? x.some(function (c) { return c.length; }) : false);
    });
  };

  // -- rich text (Quill) ---------------------------------------------------------------

  function placeholderPicker(block, quill, labelText) {
    var select = el("select", {class: "placeholder-select"});
    select.appendChild(el("option", {value: "", text: "Choisir un champ…"}));
    block.editor.menu.forEach(function (p) { select.appendChild(el("option", {value: p.name, text: p.label})); });
    var insert = button("Insérer le champ", null, function () {
      var name = select.value;
      if (!name) { select.focus(); return; }
      var at = quill.lastRange ? quill.lastRange.index : Math.max(0, quill.getLength() - 1);
      quill.insertEmbed(at, "placeholder", name, "user");
      quill.setSelection(at + 1, 0, "user");
      select.value = "";
      block.editor.announce("Champ « " + (LABELS[name] || name) + " » inséré.");
    });
    var id = uid("ph");
    select.id = id;
    return el("div", {class: "placeholder-picker", role: "group", "aria-label": labelText},
              [el("label", {for: id, text: "Champ personnalisé :"}), select, insert]);
  }

  function richEditor(block, labelText, html, inline) {
    var labelId = uid("label");
    var label = el("span", {id: labelId, class: "rich-label", text: labelText});
    var toolbar = null;
    if (!inline) {
      toolbar = el("div", {class: "rich-toolbar", role: "toolbar", "aria-label": "Mise en forme : " + labelText});
      [["ql-bold", "Gras"], ["ql-italic", "Italique"], ["ql-link", "Lien (sélectionnez le texte, puis Ctrl+K)"]].forEach(function (b) {
        toolbar.appendChild(el("button", {type: "button", class: b[0], "aria-label": b[1], title: b[1]}));
      });
      toolbar.appendChild(el("button", {type: "button", class: "ql-list", value: "bullet", "aria-label": "Liste à puces", title: "Liste à puces"}));
      toolbar.appendChild(el("button", {type: "button", class: "ql-list", value: "ordered", "aria-label": "Liste numérotée", title: "Liste numérotée"}));
    }
    var area = el("div", {class: "rich-area"});
    var wrapper = el("div", {class: "rich" + (inline ? " rich-inline" : "")}, [label, toolbar, area]);
    block.body.appendChild(wrapper);
    var bindings = Object.assign({}, NO_TAB);
    if (inline) {
      bindings.enter = {key: "Enter", handler: function () { return false; }};
      bindings["shift enter"] = {key: "Enter", shiftKey: true, handler: function () { return false; }};
    }
    var quill = new Quill(area, {
      theme: "snow",
      formats: inline ? ["placeholder"] : ["bold", "italic", "link", "list", "placeholder"],
      modules: {toolbar: inline ? false : {container: toolbar}, keyboard: {bindings: bindings}},
    });
    quill.clipboard.addMatcher("span[data-placeholder]", function (node) {
      return new Delta().insert({placeholder: node.getAttribute("data-placeholder")});
    });
    quill.root.setAttribute("role", "textbox");
    quill.root.setAttribute("aria-multiline", inline ? "false" : "true");
    quill.root.setAttribute("aria-labelledby", labelId);
    var tooltip = quill.theme && quill.theme.tooltip;
    if (tooltip && tooltip.textbox) {
      tooltip.textbox.setAttribute("aria-label", "Adresse du lien (https://… ou une adresse email)");
      tooltip.textbox.setAttribute("data-link", "https://…");
    }
    if (html) {
      quill.setContents(quill.clipboard.convert({html: html}), "silent");
    }
    quill.lastRange = null;
    quill.on("selection-change", function (range) { if (range) { quill.lastRange = range; } });
    quill.on("text-change", function () {
      quill.lastRange = quill.getSelection() || quill.lastRange;
      block.changed();
    });
    wrapper.appendChild(placeholderPicker(block, quill, "Insérer un champ : " + labelText));
    return {
      quill: quill,
      html: function () { return deltaToHtml(quill.getContents(), inline); },
      focus: function () { quill.focus(); },
    };
  }

  // -- the block types -----------------------------------------------------------------

  function textInput(block, labelText, value, attrs, hint) {
    var input = el(attrs && attrs.multiline ? "textarea" : "input",
                   Object.assign({type: attrs && attrs.multiline ? null : (attrs && attrs.type) || "text"},
                                 attrs && attrs.maxlength ? {maxlength: attrs.maxlength} : {},
                                 attrs && attrs.autocomplete ? {autocomplete: attrs.autocomplete} : {},
                                 attrs && attrs.rows ? {rows: attrs.rows} : {}));
    input.value = value || "";
    input.addEventListener("input", function () { block.changed(); });
    block.body.appendChild(field(labelText, input, hint));
    return input;
  }

  function imageParts(block, data) {
    var editor = block.editor;
    var state = {image: data.image || "", url: data.url || ""};
    var file = el("input", {type: "file", accept: "image/jpeg,image/png,image/webp"});
    block.body.appendChild(field("Fichier de l'image", file,
      "JPEG, PNG ou WebP, " + Math.round(editor.maxBytes / 1048576) + " Mo au plus. Elle est réduite à 1 200 pixels de large."));
    var status = el("p", {class: "upload-status muted", role: "status"});
    var preview = el("img", {class: "block-image-preview", alt: "Aperçu de l'image choisie", hidden: ""});
    block.body.appendChild(status);
    block.body.appendChild(preview);
    function show(src) { if (src) { preview.src = src; preview.hidden = false; } }
    show(data.image ? (editor.uploadUrl + "/" + encodeURIComponent(data.image)) : data.url);
    var alt = textInput(block, "Description de l'image", data.alt, {maxlength: 250},
      "Obligatoire : lue à qui ne voit pas l'image (et affichée si elle ne se charge pas).");
    file.addEventListener("change", function () {
      var chosen = file.files && file.files[0];
      if (!chosen) { return; }
      if (editor.maxBytes && chosen.size > editor.maxBytes) {
        status.textContent = "L'image est trop lourde (" + Math.round(editor.maxBytes / 1048576) + " Mo au plus).";
        return;
      }
      var body = new FormData();
      body.append("image", chosen);
      status.textContent = "Envoi de l'image…";
      block.node.dataset.uploading = "1";
      fetch(editor.uploadUrl, {method: "POST", body: body, credentials: "same-origin",
                               headers: {"X-CSRFToken": editor.csrf()}})
        .then(function (r) { return r.json().catch(function () { return {error: "L'envoi a échoué (" + r.status + ")."}; }); })
        .then(function (answer) {
          delete block.node.dataset.uploading;
          if (answer.error) { status.textContent = answer.error; return; }
          state.image = answer.image;
          state.url = "";
          show(answer.url);
          status.textContent = "Image enregistrée (" + answer.width + " × " + answer.height + " pixels).";
          block.changed();
        })
        .catch(function () { delete block.node.dataset.uploading; status.textContent = "L'envoi a échoué : vérifiez la connexion et recommencez."; });
    });
    return {
      value: function () {
        var v = {alt: alt.value};
        if (state.image) { v.image = state.image; } else if (state.url) { v.url = state.url; }
        return v;
      },
      focusTarget: function () { return file; },
    };
  }

  function paragraphParts(block, data) {
    var rich = richEditor(block, "Texte", data.html, false);
    return {value: function () { return {html: rich.html()}; }, focusTarget: function () { return rich.quill.root; }};
  }

  function columnsParts(block, data) {
    var columns = Array.isArray(data.columns) ? data.columns : [[], []];
    var lists = [];
    ["Colonne de gauche", "Colonne de droite"].forEach(function (name, c) {
      var items = [];
      var container = el("div", {class: "column-items"});
      var addBar = el("div", {class: "block-add", role: "group", "aria-label": "Ajouter à la " + name.toLowerCase()});
      var fieldset = el("fieldset", {class: "column"}, [el("legend", {text: name}), container, addBar]);
      block.body.appendChild(fieldset);
      // What a column item's controls report to: renumbering, and where focus goes after it.
      var column = {node: fieldset, renumber: function () {
        items.forEach(function (item, i) { item.number(i + 1, items.length, name + ", élément " + (i + 1)); });
      }};
      function addItem(type, itemData) {
        var item = new Block(block.editor, items, container, type, itemData);
        item.parentBlock = column;
        return item;
      }
      (Array.isArray(columns[c]) ? columns[c] : []).forEach(function (itemData) {
        if (itemData && (itemData.type === "paragraph" || itemData.type === "image")) { addItem(itemData.type, itemData); }
      });
      COLUMN_TYPES.forEach(function (type) {
        addBar.appendChild(button("+ " + TYPES[type].label, "Ajouter à la " + name.toLowerCase() + " : " + TYPES[type].label, function () {
          var item = addItem(type, {});
          column.renumber();
          block.changed();
          item.focus();
        }));
      });
      column.renumber();
      lists.push(items);
    });
    return {
      value: function () { return {columns: lists.map(function (items) { return items.map(function (i) { return i.value(); }); })}; },
      focusTarget: function () { return block.body.querySelector(".block-add button"); },
    };
  }

  var TYPES = {
    heading: {label: "Titre", build: function (data) {
      var rich = richEditor(this, "Texte du titre", data.text, true);
      var level = el("select", {});
      [["2", "Titre de rubrique"], ["3", "Sous-titre"]].forEach(function (o) { level.appendChild(el("option", {value: o[0], text: o[1]})); });
      level.value = String(data.level === 3 ? 3 : 2);
      var self = this;
      level.addEventListener("change", function () { self.changed(); });
      this.body.appendChild(field("Taille", level));
      return {value: function () { return {text: rich.html(), level: Number(level.value)}; }, focusTarget: function () { return rich.quill.root; }};
    }},
    paragraph: {label: "Paragraphe", build: function (data) { return paragraphParts(this, data); }},
    image: {label: "Image", build: function (data) { return imageParts(this, data); }},
    button: {label: "Bouton", build: function (data) {
      var label = textInput(this, "Texte du bouton", data.label, {maxlength: 100});
      var url = textInput(this, "Adresse du bouton", data.url, {type: "url", maxlength: 500}, "Commence par https://, http:// ou mailto:");
      return {value: function () { return {label: label.value, url: url.value}; }};
    }},
    columns: {label: "Deux colonnes", build: function (data) { return columnsParts(this, data); }},
    divider: {label: "Séparateur", build: function () {
      this.body.appendChild(el("p", {class: "muted", text: "Une ligne horizontale entre deux parties."}));
      return {value: function () { return {}; }, focusTarget: function () { return null; }};
    }},
    contact: {label: "Coordonnées", build: function (data) {
      var self = this;
      var contact = this.editor.contact;
      var fill = button("Remplir avec mes coordonnées", null, function () {
        inputs.name.value = contact.name || ""; inputs.email.value = contact.email || "";
        if (contact.role) { inputs.role.value = contact.role; }
        self.changed();
        inputs.name.focus();
      });
      this.body.appendChild(fill);
      var inputs = {
        name: textInput(this, "Nom", data.name, {maxlength: 100, autocomplete: "off"}),
        role: textInput(this, "Fonction", data.role, {maxlength: 100}),
        email: textInput(this, "Email", data.email, {type: "email", maxlength: 254}),
        phone: textInput(this, "Téléphone", data.phone, {type: "tel", maxlength: 40}),
        address: textInput(this, "Adresse postale", data.address, {multiline: true, rows: 3, maxlength: 300}),
      };
      return {value: function () {
        var v = {};
        Object.keys(inputs).forEach(function (k) { v[k] = inputs[k].value; });
        return v;
      }, focusTarget: function () { return fill; }};
    }},
  };
  var TOP_TYPES = ["heading", "paragraph", "image", "button", "columns", "divider", "contact"];
  var COLUMN_TYPES = ["paragraph", "image"];

  editors.forEach(function (root) { root.blockEditor = new BlockEditor(root); });
})();
