-- The sandbox's database (database.dbname, nba_simulator as shipped): the tables the app's MCP tools read. Idempotent.
CREATE TABLE IF NOT EXISTS teams (
    team_id integer PRIMARY KEY,
    abbreviation text NOT NULL UNIQUE,
    name text NOT NULL
);
CREATE TABLE IF NOT EXISTS players (
    player_id integer PRIMARY KEY,
    name text NOT NULL,
    team_id integer REFERENCES teams(team_id),
    position text
);
CREATE TABLE IF NOT EXISTS games (
    game_id text PRIMARY KEY,
    game_date date NOT NULL,
    home_team_id integer REFERENCES teams(team_id),
    away_team_id integer REFERENCES teams(team_id),
    home_score integer,
    away_score integer
);
INSERT INTO teams VALUES (1610612747, 'LAL', 'Los Angeles Lakers'), (1610612744, 'GSW', 'Golden State Warriors'),
                         (1610612738, 'BOS', 'Boston Celtics')
    ON CONFLICT DO NOTHING;
INSERT INTO players VALUES (2544, 'LeBron James', 1610612747, 'F'), (201939, 'Stephen Curry', 1610612744, 'G'),
                           (1628369, 'Jayson Tatum', 1610612738, 'F')
    ON CONFLICT DO NOTHING;
INSERT INTO games VALUES ('0022400001', '2024-10-22', 1610612738, 1610612747, 132, 109),
                         ('0022400002', '2024-10-22', 1610612747, 1610612744, 110, 103),
                         ('0022400003', '2024-10-24', 1610612744, 1610612738, 118, 112)
    ON CONFLICT DO NOTHING;
