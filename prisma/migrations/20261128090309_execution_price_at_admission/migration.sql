-- AlterTable
ALTER TABLE "executions" ADD COLUMN     "credits_per_1k_input_tokens" INTEGER,
ADD COLUMN     "credits_per_1k_output_tokens" INTEGER;

