-- Runs once, when the mysql_data volume is first created. Gives the etl user what it has on
-- the no-Docker path too: it may create databases (tests use throwaway ones) and load local
-- files (LOAD DATA LOCAL INFILE).
GRANT ALL PRIVILEGES ON *.* TO 'etl'@'%' WITH GRANT OPTION;
SET GLOBAL local_infile = 1;
FLUSH PRIVILEGES;
