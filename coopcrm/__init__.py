"""CoopCRM: member-journey and engagement CRM for French housing cooperatives."""

from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides the environment (tests)."""
    from coopcrm import config as settings

    app = Flask(__name__, instance_relative_config=True,
                instance_path=settings.instance_path())
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(settings.load(app.instance_path))
    if config:
        app.config.update(config)

    from coopcrm import logs, params, serving

    logs.init_app(app)  # first: a bad COOPCRM_LOG_LEVEL stops the start in French
    serving.init_app(app)
    params.init_app(app)  # before the blueprints: their routes use <id:…>
    _init_extensions(app)
    _register_blueprints(app)
    logs.remember_private_paths(app.url_map.iter_rules())  # no link token in a log line

    from coopcrm import errorpages, security_headers, templating, ui

    security_headers.init_app(app)
    errorpages.register(app)
    templating.register(app)
    ui.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from flask_sqlalchemy.session import Session as FlaskSession
    from sqlalchemy import event

    from coopcrm import resources
    from coopcrm.extensions import babel, csrf, db, login_manager, migrate
    from coopcrm.models_registry import import_all_models
    from coopcrm.privacy import audit

    import_all_models()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A database host that drops packets must fail a command or /healthz in seconds,
        # not after the kernel's TCP timeout (minutes).
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("connect_timeout", 10)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resources.folder(resources.MIGRATIONS)))
    csrf.init_app(app)
    babel.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    from coopcrm.auth import guard

    guard.init_app(app)  # staff sessions are checked server-side at every request

    audit.install(FlaskSession)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # SQLite ignores foreign keys unless asked, per connection.
            @event.listens_for(db.engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")  # no fsync per commit: see sending/flush
                cur.execute("PRAGMA busy_timeout=5000")
                cur.close()


def _register_blueprints(app: Flask) -> None:
    from coopcrm.auth.account_routes import bp as account_bp
    from coopcrm.auth.admin_routes import bp as security_bp
    from coopcrm.auth.reset_routes import bp as reset_bp
    from coopcrm.auth.routes import bp as auth_bp
    from coopcrm.blocks.routes import bp as blocks_bp
    from coopcrm.campaigns.public_routes import bp as campaign_public_bp
    from coopcrm.campaigns.routes import bp as campaigns_bp
    from coopcrm.campaigns.tools_routes import bp as campaign_tools_bp
    from coopcrm.cycle.archive_routes import bp as archive_bp
    from coopcrm.cycle.routes import bp as cycle_bp
    from coopcrm.events.public_routes import bp as event_public_bp
    from coopcrm.events.routes import bp as events_bp
    from coopcrm.events.votes.public_routes import bp as vote_public_bp
    from coopcrm.events.votes.routes import bp as votes_bp
    from coopcrm.health.routes import bp as health_bp
    from coopcrm.inbox.routes import bp as inbox_bp
    from coopcrm.journeys.admin_routes import bp as catalogue_bp
    from coopcrm.journeys.followups.routes import bp as followups_bp
    from coopcrm.journeys.routes import bp as journeys_bp
    from coopcrm.letters.routes import bp as letters_bp
    from coopcrm.links.routes import bp as links_bp
    from coopcrm.members.admin_routes import bp as reference_bp
    from coopcrm.members.importing.routes import bp as imports_bp
    from coopcrm.members.register_routes import bp as share_register_bp
    from coopcrm.members.routes import bp as members_bp
    from coopcrm.privacy.routes import bp as privacy_bp
    from coopcrm.reporting.routes import bp as reporting_bp
    from coopcrm.scheduler.routes import bp as scheduler_bp
    from coopcrm.segments.routes import bp as segments_bp
    from coopcrm.sending.routes import bp as sending_bp
    from coopcrm.surveys.public_routes import bp as survey_public_bp
    from coopcrm.surveys.routes import bp as surveys_bp

    app.register_blueprint(reference_bp)
    for bp in (auth_bp, account_bp, reset_bp, security_bp, members_bp, imports_bp, journeys_bp,
               catalogue_bp, segments_bp, links_bp, sending_bp, scheduler_bp, reporting_bp,
               cycle_bp, archive_bp, followups_bp, surveys_bp, survey_public_bp, events_bp,
               event_public_bp, votes_bp, vote_public_bp, health_bp, blocks_bp, campaigns_bp,
               privacy_bp, share_register_bp, inbox_bp, campaign_public_bp, letters_bp,
               campaign_tools_bp):
        app.register_blueprint(bp)
