-- A sample of clean customers, by id.
SELECT customer_id, customer_name, email, country, signup_date, customer_segment
FROM staging.customers
ORDER BY customer_id
LIMIT 10
