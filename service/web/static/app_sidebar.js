/* IncidentDesk's Zendesk ticket sidebar. ZAF's client tells us the ticket and the agent's
   language; everything else comes from our JSON routes, sent with the sidebar token. Text is
   always inserted with textContent, never as HTML. */
(function () {
  "use strict";

  var root = document.getElementById("sidebar-root");
  var token = document.querySelector('meta[name="incidentdesk-sidebar-token"]').content;
  var catalogs = JSON.parse(document.getElementById("sidebar-strings").textContent);
  var api = root.getAttribute("data-api");
  var lang = document.documentElement.lang;
  var client = null;
  /* The ticket Zendesk's signed request named: the sidebar token works for this one only. */
  var ticketId = root.getAttribute("data-ticket");

  function $(id) { return document.getElementById(id); }

  function t(key, values) {
    var text = (catalogs[lang] || {})[key] || catalogs.en[key] || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] !== undefined && values[name] !== null ? String(values[name]) : whole;
    });
  }

  function useLanguage(locale) {
    var code = String(locale || "").replace("_", "-").split("-")[0].toLowerCase();
    if (!catalogs[code]) { return; }
    lang = code;
    document.documentElement.lang = code;
    document.documentElement.dir = t("sidebar.dir");
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
  }

  function resize() {
    if (client) { client.invoke("resize", { width: "100%", height: document.body.scrollHeight + "px" }); }
  }

  function say(text, kind) {
    var box = $("sidebar-message");
    box.textContent = text;
    box.className = "notice" + (kind ? " notice-" + kind : "");
    box.hidden = !text;
    resize();
  }

  /* Text of another direction inside a sentence (a date, an English title in Hebrew) is
     isolated, so the sentence around it keeps its order. */
  function isolate(text) { return "\u2068" + (text || "") + "\u2069"; }

  function when(iso) {
    return iso ? iso.slice(0, 16).replace("T", " ") + " UTC" : "";
  }

  function call(method, path, body) {
    var options = { method: method, headers: { Authorization: "Bearer " + token, Accept: "application/json" } };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(api + ticketId + path + "?locale=" + encodeURIComponent(lang), options).then(function (answer) {
      return answer.json().catch(function () { return {}; }).then(function (data) {
        if (!answer.ok) { throw new Error(data.error || String(answer.status)); }
        return data;
      });
    });
  }

  function quote(el, text, locale, direction) {
    el.textContent = text || "";
    el.lang = locale || "";
    el.dir = direction || "auto";
    el.hidden = !text;
  }

  function addReason(list, label, values, quoted) {
    if (!values || !values.length) { return; }
    var term = document.createElement("dt");
    term.textContent = label;
    var detail = document.createElement("dd");
    values.forEach(function (value) {
      var chip = document.createElement(quoted ? "q" : "span");
      chip.className = quoted ? "excerpt" : "chip";
      chip.dir = "auto";
      chip.textContent = value;
      detail.appendChild(chip);
    });
    list.appendChild(term);
    list.appendChild(detail);
  }

  function renderWhy(link) {
    var list = $("why");
    var evidence = link.evidence;
    list.textContent = "";
    addReason(list, t("sidebar.why_phrases"), evidence.phrases, false);
    addReason(list, t("sidebar.why_excerpts"), evidence.excerpts, true);
    var problemLink = evidence.rule === "problem link";  // its reason is said below, translated
    addReason(list, t("sidebar.why_other"), evidence.other_rules && !problemLink ? [evidence.other_rules] : [], false);
    var notes = [];
    if (evidence.vip) { notes.push(t("sidebar.why_vip")); }
    if (evidence.rule === "manual") { notes.push(t("sidebar.why_manual", { actor: isolate(evidence.linked_by) })); }
    if (problemLink) { notes.push(t("sidebar.why_problem_link")); }
    if (link.source === "helpdesk") { notes.push(t("sidebar.why_helpdesk")); }
    if (!evidence.rule && link.source === "auto" && !evidence.phrases.length) { notes.push(t("sidebar.why_existing")); }
    notes.forEach(function (note) {
      var item = document.createElement("dd");
      item.className = "note";
      item.textContent = note;
      list.appendChild(item);
    });
  }

  function line(box, text, className, direction) {
    var el = document.createElement("span");
    el.className = className || "";
    if (direction) { el.dir = direction; }
    el.textContent = text;
    box.appendChild(el);
  }

  function renderUnlinked(incident, link) {
    var box = $("unlinked-notice");
    box.textContent = "";
    line(box, t("sidebar.unlinked_notice", { title: isolate(incident.title) }), "notice-title");
    line(box, when(link.unlinked_at), "muted", "ltr");
    if (link.unlink_reason) { line(box, t("sidebar.unlinked_reason", { reason: isolate(link.unlink_reason) })); }
  }

  function renderIncident(view) {
    var incident = view.incident;
    var link = view.link;
    var live = link && link.state !== "unlinked";
    $("incident-section").hidden = !live;
    $("unlinked-notice").hidden = !(link && !live);
    if (link && !live) { renderUnlinked(incident, link); }
    if (!live) { return; }
    $("incident-title").textContent = incident.title;
    $("incident-stage").textContent = incident.stage_label || "";
    $("link-state").textContent = t("sidebar.state_" + link.state);
    $("current-version").textContent = incident.version ? t("sidebar.version", { version: incident.version }) : "";
    quote($("current-status"), incident.status_text, incident.status_locale, incident.status_dir);
    var applied = link.applied;
    $("applied-version").textContent = applied ? t("sidebar.version", { version: applied.version }) : "";
    quote($("applied-status"), applied && applied.text, applied && applied.locale, applied && applied.dir);
    $("applied-macro").textContent = applied && incident.macro_title
      ? t("sidebar.applied_macro", { macro: isolate(incident.macro_title), version: applied.version }) : "";
    $("applied-none").hidden = !!applied;
    renderWhy(link);
    $("unlink-area").hidden = !view.can_unlink;
    $("unlink-form").hidden = true;
    $("unlink-button").hidden = false;
  }

  function renderLinkForm(view) {
    var live = view.link && view.link.state !== "unlinked";
    $("link-section").hidden = live;
    $("not-linked").hidden = !!view.link;
    var select = $("link-incident");
    select.textContent = "";
    view.active_incidents.forEach(function (incident) {
      var option = document.createElement("option");
      option.value = String(incident.id);
      option.textContent = incident.title;
      select.appendChild(option);
    });
    $("link-form").hidden = !view.active_incidents.length;
    $("no-active").hidden = !!view.active_incidents.length;
  }

  function renderHistory(entries) {
    var list = $("history");
    list.textContent = "";
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      var label = document.createElement("strong");
      label.textContent = entry.label;
      var meta = document.createElement("span");
      meta.className = "muted";
      meta.dir = "ltr";
      meta.textContent = when(entry.at) + " · " + entry.actor;
      item.appendChild(label);
      item.appendChild(meta);
      list.appendChild(item);
    });
    $("history-section").hidden = !entries.length;
  }

  function button(key, className, onClick) {
    var el = document.createElement("button");
    el.type = "button";
    el.className = "button " + (className || "");
    el.textContent = t(key);
    el.addEventListener("click", onClick);
    return el;
  }

  /* A merge the pipeline did not dare: the agent merges it (after confirming, since a merge
     cannot be undone) or dismisses it; the server checks the tickets again at the click. */
  function decide(item, action, box) {
    busy(box, true);
    var pair = { source_ticket_id: item.source_ticket_id, target_ticket_id: item.target_ticket_id };
    var done = action === "merge"
      ? t("sidebar.suggestion.merged", { source: item.source_ticket_id, target: item.target_ticket_id })
      : t("sidebar.suggestion.dismissed");
    call("POST", "/merge_suggestions/" + item.id + "/" + action, pair).then(function (data) {
      if (data.merging) {  /* Zendesk's job is still running: say so, then the same click again */
        say(data.message);
        window.setTimeout(function () { decide(item, action, box); }, 1000 * (data.retry_after || 2));
        return;
      }
      renderSuggestions(data.suggestions);
      return load().then(function () { say(done); });
    }, function (error) {
      busy(box, false);
      failed(error);
    });
  }

  function suggestionItem(item) {
    var box = document.createElement("li");
    box.className = "suggestion";
    box.setAttribute("data-suggestion", String(item.id));
    var question = item.role === "source" ? "sidebar.suggestion.merge_into" : "sidebar.suggestion.merge_from";
    line(box, t(question, { other: item.other_ticket_id }), "notice-title");
    line(box, t("sidebar.suggestion.score", { score: item.score }), "badge badge-quiet");
    line(box, item.why, "why-text", "auto");
    var actions = document.createElement("div");
    actions.className = "actions";
    var confirm = document.createElement("div");
    confirm.className = "confirm";
    confirm.hidden = true;
    line(confirm, t("sidebar.suggestion.confirm", { source: item.source_ticket_id, target: item.target_ticket_id }));
    var confirmActions = document.createElement("div");
    confirmActions.className = "actions";
    confirmActions.appendChild(button("sidebar.suggestion.confirm_do", "button-danger suggestion-confirm", function () {
      decide(item, "merge", box);
    }));
    confirmActions.appendChild(button("sidebar.cancel", "button-quiet", function () {
      confirm.hidden = true;
      actions.hidden = false;
      resize();
    }));
    confirm.appendChild(confirmActions);
    actions.appendChild(button("sidebar.suggestion.merge", "suggestion-merge", function () {
      actions.hidden = true;
      confirm.hidden = false;
      resize();
    }));
    actions.appendChild(button("sidebar.suggestion.dismiss", "button-quiet suggestion-dismiss", function () {
      decide(item, "dismiss", box);
    }));
    box.appendChild(actions);
    box.appendChild(confirm);
    return box;
  }

  function renderSuggestions(items) {
    var list = $("suggestions");
    list.textContent = "";
    items.forEach(function (item) { list.appendChild(suggestionItem(item)); });
    $("suggestions-section").hidden = !items.length;
    resize();
  }

  function loadSuggestions() {
    return call("GET", "/merge_suggestions").then(function (data) { renderSuggestions(data.suggestions); }, failed);
  }

  function render(view) {
    say("");
    renderIncident(view);
    renderLinkForm(view);
    renderHistory(view.audit);
    resize();
  }

  function failed(error) { say(t("sidebar.error", { message: error.message }), "error"); }

  function load() { return call("GET", "").then(render, failed); }

  function busy(form, on) {
    Array.prototype.forEach.call(form.querySelectorAll("button, input, select"), function (el) { el.disabled = on; });
  }

  $("unlink-button").addEventListener("click", function () {
    $("unlink-button").hidden = true;
    $("unlink-form").hidden = false;
    $("unlink-reason").focus();
    resize();
  });
  $("unlink-cancel").addEventListener("click", function () {
    $("unlink-form").hidden = true;
    $("unlink-button").hidden = false;
    resize();
  });
  $("unlink-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    busy(form, true);
    call("POST", "/unlink", { reason: $("unlink-reason").value }).then(render, failed).then(function () {
      busy(form, false);
    });
  });
  $("link-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    busy(form, true);
    call("POST", "/link", { incident_id: Number($("link-incident").value) }).then(render, failed).then(function () {
      busy(form, false);
    });
  });

  if (typeof window.ZAFClient === "undefined" || !(client = window.ZAFClient.init())) {
    say(t("sidebar.outside_zendesk"), "warn");
    return;
  }
  client.get(["currentUser.locale"]).then(function (data) {
    useLanguage(data["currentUser.locale"]);
    return load().then(loadSuggestions);
  }, failed);
}());
